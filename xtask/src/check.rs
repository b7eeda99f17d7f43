use crate::ui::Result;
use crate::workspace::Workspace;
pub fn check(_ws: &Workspace) -> Result<()> { todo!() }
