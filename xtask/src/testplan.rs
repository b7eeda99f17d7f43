use crate::ui::Result;
use crate::workspace::Workspace;
pub fn test(_ws: &Workspace, _l: Option<&std::path::Path>) -> Result<()> { todo!() }
