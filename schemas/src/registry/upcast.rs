//! Upcasting: events are immutable, so data written under an old version is turned into the latest
//! version's shape when read, one step (v → v+1) at a time.

use super::{Registry, VersionRef, compatibility};
use crate::SchemaError;
use crate::validation::CompiledSchema;
use serde_json::Value;

/// Turns data of version `n` into data of version `n + 1`. A plain function, so registries stay
/// `Send + Sync` and every step is reviewable code. Its error message reaches logs and problem
/// documents: name the field, never its value (readers mask quoted values, but cannot find others).
pub type Upcaster = fn(Value) -> Result<Value, String>;

pub(super) fn run(
    reg: &Registry,
    subject: &str,
    version: u32,
    data: Value,
) -> Result<(u32, Value), SchemaError> {
    let s = reg
        .subjects
        .get(subject)
        .ok_or_else(|| SchemaError::UnknownSubject(subject.to_string()))?;
    let latest = s.versions.last().map_or(0, |v| v.version);
    let unknown = || SchemaError::UnknownVersion {
        subject: subject.to_string(),
        version,
    };
    if !s.versions.iter().any(|v| v.version == version) {
        return Err(unknown());
    }
    let mut data = data;
    let mut changed = false;
    for from in version..latest {
        match s.upcasters.get(&from) {
            Some(step) => {
                data = step(data).map_err(|message| SchemaError::Upcast {
                    subject: subject.to_string(),
                    from,
                    message,
                })?;
                changed = true;
            }
            None => {
                // Identity only where the next version reads this one's data as it is.
                let old = reg
                    .schema(subject, VersionRef::Number(from))
                    .ok_or_else(unknown)?;
                let new = s
                    .versions
                    .iter()
                    .find(|v| v.version == from + 1)
                    .ok_or_else(unknown)?;
                let reads = *new.reads_previous.get_or_init(|| {
                    compatibility::backward(&new.schema, old, s.config.open_objects, from)
                        .is_empty()
                });
                if !reads {
                    return Err(SchemaError::MissingUpcaster {
                        subject: subject.to_string(),
                        from,
                    });
                }
            }
        }
    }
    // Steps that are all the identity keep data as valid as it was: each version reads the one
    // before it. Only what an upcaster made is checked again.
    if !changed {
        return Ok((latest, data));
    }
    let report = reg.validate(subject, VersionRef::Number(latest), &data)?;
    if let Some(v) = report.violations.first() {
        return Err(SchemaError::Upcast {
            subject: subject.to_string(),
            from: version,
            message: format!("the upcast data is not valid under version {latest}: {v}"),
        });
    }
    Ok((latest, data))
}

/// Before `candidate` is registered as version `from + 1` on the strength of the upcaster `step`:
/// `step` turns each of version `from`'s examples into data `candidate` accepts. The error names
/// the example and the first violation, so the maintainer knows which to fix, the upcaster or the
/// candidate.
pub(super) fn check_step(
    subject: &str,
    from: u32,
    step: Upcaster,
    examples: &[Value],
    candidate: &Value,
) -> Result<(), SchemaError> {
    // Without examples nothing would be upcast, and any step, a no-op included, would pass.
    if examples.is_empty() {
        return Err(SchemaError::Upcast {
            subject: subject.to_string(),
            from,
            message: format!(
                "version {from} has no `examples` to check the upcaster on: add examples to it \
                 before publishing a version that needs one"
            ),
        });
    }
    let compiled = CompiledSchema::compile(candidate)?;
    for (i, example) in examples.iter().enumerate() {
        let upcast = step(example.clone()).map_err(|message| SchemaError::Upcast {
            subject: subject.to_string(),
            from,
            message: format!("on version {from}'s examples/{i}: {message}"),
        })?;
        if let Some(v) = compiled.check(&upcast, "").violations.first() {
            return Err(SchemaError::Upcast {
                subject: subject.to_string(),
                from,
                message: format!(
                    "version {from}'s examples/{i}, upcast, is not valid under the new version: {v}"
                ),
            });
        }
    }
    Ok(())
}
