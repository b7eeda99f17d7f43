use crate::ui::Result;
use crate::workspace::Workspace;
pub fn export(_ws: &Workspace) -> Result<()> { todo!() }
