//! The `policies` section: each entry is a policy bundle (DESIGN §5), compiled at load. A bundle
//! that fails to load or fails its self-check is kept as broken; flag variants that use it then
//! fail at evaluation with an error reason, and nothing else is affected.

use super::diagnostics::Diagnostics;
use crate::json_checked::Tree;
use crate::policy::Bundle;

pub(crate) fn parse_policy(
    value: &Tree<'_>,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<Bundle> {
    match Bundle::from_value(&value.to_value()) {
        Ok(bundle) => Some(bundle),
        Err(error) => {
            let at = match error.path.as_str() {
                "" => path.to_owned(),
                relative if relative.starts_with('[') => format!("{path}{relative}"),
                relative => format!("{path}.{relative}"),
            };
            diags.error(&at, error.message);
            None
        }
    }
}
