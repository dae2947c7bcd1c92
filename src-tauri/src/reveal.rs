//! "Show in folder" for an exported pack: the desktop's file manager opens the export folder with the pack
//! selected, through `tauri_plugin_opener::reveal_item_in_dir` (on Linux the freedesktop
//! `org.freedesktop.FileManager1.ShowItems` call with the file's URI, falling back to the desktop portal's
//! `OpenDirectory`). Only a file directly in the export folder is shown: the window cannot use this to
//! reveal anything else on the disk.

use crate::verify::{ErrorCode, IpcError};
use std::path::{Path, PathBuf};

/// Shows the pack at `path`, which must be a file in `export_dir`, in the desktop's file manager.
pub async fn show_export(export_dir: PathBuf, path: String) -> Result<(), IpcError> {
    let file = exported_file(&export_dir, Path::new(&path))?;
    // The opener blocks on D-Bus; keep it off the async workers.
    tauri::async_runtime::spawn_blocking(move || {
        tauri_plugin_opener::reveal_item_in_dir(&file).map_err(|e| IpcError {
            code: ErrorCode::Failed,
            message: format!("the file manager could not show {}: {e}", file.display()),
        })
    })
    .await
    .unwrap_or_else(|e| Err(IpcError { code: ErrorCode::Internal, message: format!("showing the folder: {e}") }))
}

/// The file's real path when it is a file directly in the export folder (links resolved, so `..` or a link
/// cannot lead out of it).
fn exported_file(export_dir: &Path, path: &Path) -> Result<PathBuf, IpcError> {
    let failed = |message: String| IpcError { code: ErrorCode::Failed, message };
    let dir =
        export_dir.canonicalize().map_err(|e| failed(format!("the export folder {}: {e}", export_dir.display())))?;
    let file = path.canonicalize().map_err(|e| failed(format!("no pack at {}: {e}", path.display())))?;
    if file.parent() != Some(dir.as_path()) || !file.is_file() {
        return Err(failed(format!("only a pack in the export folder ({}) can be shown", dir.display())));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::exported_file;

    #[test]
    #[cfg(unix)]
    fn only_a_file_in_the_export_folder_is_shown() {
        let root = tempfile::tempdir().unwrap();
        let exports = root.path().join("exports");
        std::fs::create_dir_all(exports.join("sub")).unwrap();
        let pack = exports.join("sesn_1.pack.zip");
        std::fs::write(&pack, b"pack").unwrap();
        std::fs::write(root.path().join("secret.txt"), b"no").unwrap();
        std::fs::write(exports.join("sub/deeper.zip"), b"no").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.txt"), exports.join("link.zip")).unwrap();

        assert_eq!(exported_file(&exports, &pack).unwrap(), pack.canonicalize().unwrap());
        for (path, why) in [
            (root.path().join("secret.txt"), "export folder"),
            (exports.join("../secret.txt"), "export folder"),
            (exports.join("link.zip"), "export folder"),
            (exports.join("sub/deeper.zip"), "export folder"),
            (exports.join("sub"), "export folder"),
            (exports.join("missing.zip"), "no pack at"),
        ] {
            let err = exported_file(&exports, &path).unwrap_err();
            assert!(err.message.contains(why), "{}: {}", path.display(), err.message);
        }
    }
}
