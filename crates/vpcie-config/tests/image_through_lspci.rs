//! A real device's config space loaded into the engine and written back as
//! lspci text is decoded by `lspci -F` exactly as the original dump.

use vpcie_config::lspci::DumpFunction;
use vpcie_config::{ConfigSize, ConfigSpace, NoHandler};
use vpcie_testkit::{TempFile, fixture_files, fixture_functions, lspci, lspci_available};

#[test]
fn our_image_of_every_fixture_decodes_like_the_original() {
    if !lspci_available("our_image_of_every_fixture_decodes_like_the_original") {
        return;
    }
    for file in fixture_files() {
        let ours: Vec<DumpFunction> = fixture_functions(&file)
            .iter()
            .map(|f| {
                let size = if f.config_size() > 256 {
                    ConfigSize::Extended
                } else {
                    ConfigSize::Conventional
                };
                let mut cfg = ConfigSpace::new(size);
                cfg.load_image(0, &f.config()[..size.bytes()]);
                let view = cfg.guest_view(&mut NoHandler);
                DumpFunction::new(f.address, f.title.clone(), &view)
            })
            .collect();
        let written = TempFile::new("image.txt", &vpcie_config::lspci::write(&ours));
        for args in [&["-vvv"][..], &["-xxxx"], &["-tv"]] {
            assert_eq!(
                lspci(written.path(), args),
                lspci(&file, args),
                "{}: lspci {args:?} differs",
                file.display()
            );
        }
    }
}
