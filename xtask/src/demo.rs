use crate::ui::Result;
use crate::workspace::Workspace;
pub fn run(_ws: &Workspace, _l: Option<&std::path::Path>) -> Result<()> { todo!() }
