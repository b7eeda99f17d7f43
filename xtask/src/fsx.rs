//! `std::fs` calls whose errors name the path and the operation
//! ("cannot write build/vm/test/init: No space left on device"), so an I/O
//! failure says where to look.

use crate::ui::{Error, Result};
use std::path::Path;

fn err(op: &str, p: &Path, e: std::io::Error) -> Error {
    Error::new(format!("cannot {op} {}: {e}", p.display()))
}

pub fn read_to_string(p: impl AsRef<Path>) -> Result<String> {
    std::fs::read_to_string(p.as_ref()).map_err(|e| err("read", p.as_ref(), e))
}

pub fn write(p: impl AsRef<Path>, data: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(p.as_ref(), data).map_err(|e| err("write", p.as_ref(), e))
}

pub fn read_dir(p: impl AsRef<Path>) -> Result<std::fs::ReadDir> {
    std::fs::read_dir(p.as_ref()).map_err(|e| err("list", p.as_ref(), e))
}

pub fn remove_dir_all(p: impl AsRef<Path>) -> Result<()> {
    std::fs::remove_dir_all(p.as_ref()).map_err(|e| err("remove", p.as_ref(), e))
}

pub fn remove_dir(p: impl AsRef<Path>) -> Result<()> {
    std::fs::remove_dir(p.as_ref()).map_err(|e| err("remove", p.as_ref(), e))
}

pub fn remove_file(p: impl AsRef<Path>) -> Result<()> {
    std::fs::remove_file(p.as_ref()).map_err(|e| err("remove", p.as_ref(), e))
}

pub fn create_dir_all(p: impl AsRef<Path>) -> Result<()> {
    std::fs::create_dir_all(p.as_ref()).map_err(|e| err("create", p.as_ref(), e))
}

pub fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<()> {
    std::fs::rename(from.as_ref(), to.as_ref())
        .map_err(|e| Error::new(format!("cannot rename {} to {}: {e}", from.as_ref().display(), to.as_ref().display())))
}

pub fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<u64> {
    std::fs::copy(from.as_ref(), to.as_ref())
        .map_err(|e| Error::new(format!("cannot copy {} to {}: {e}", from.as_ref().display(), to.as_ref().display())))
}

pub fn set_permissions(p: impl AsRef<Path>, perm: std::fs::Permissions) -> Result<()> {
    std::fs::set_permissions(p.as_ref(), perm).map_err(|e| err("chmod", p.as_ref(), e))
}

pub fn create(p: impl AsRef<Path>) -> Result<std::fs::File> {
    std::fs::File::create(p.as_ref()).map_err(|e| err("create", p.as_ref(), e))
}
