//! Handlers of the organisation commands: units, people, memberships.

use super::fields::text;
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::event::EventBody;
use crate::i18n::Text;
use crate::ids::{EntityKind, PersonId, UnitId};
use crate::organisation::Role;
use crate::rejection::{role_de, Rejection, Rule};

impl Ctx<'_> {
    /// The organisation commands, after the rules table admitted them.
    pub(super) fn organisation(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::DefineUnit {
                unit,
                name,
                kind,
                parent,
            } => {
                // Special::DefineUnit: the root needs no right, any other unit Administer
                // on its parent (found active by the table's `On::Parent`).
                match parent {
                    None if !self.s.units.is_empty() => {
                        return Err(Rejection::rule(
                            Rule::SingleRoot,
                            Text::new(
                                "the organisation has a root unit already; give a parent",
                                "Die Organisation hat bereits eine Wurzeleinheit; geben Sie eine \
                                 übergeordnete Einheit (`parent`) an.",
                            ),
                        ))
                    }
                    None => self.admin(None)?,
                    Some(p) => self.admin(Some(*p))?,
                }
                text("name", name)?;
                Ok(vec![EventBody::UnitDefined {
                    unit: *unit,
                    name: name.trim().to_string(),
                    kind: *kind,
                    parent: *parent,
                }])
            }
            C::RenameUnit { unit, name } => {
                text("name", name)?;
                Ok(vec![EventBody::UnitRenamed {
                    unit: *unit,
                    name: name.trim().to_string(),
                }])
            }
            C::MoveUnit { unit, parent } => {
                let (unit, parent) = (*unit, *parent);
                let above = self.s.ancestors(parent);
                if let Some(pos) = above.iter().position(|u| *u == unit) {
                    // Names for the people who read the refusal, ids to tell equal ones apart.
                    let path: Vec<String> =
                        above[..=pos].iter().map(|u| self.unit_name(*u)).collect();
                    return Err(Rejection::rule(
                        Rule::UnitTreeAcyclic,
                        Text::new(
                            format!(
                                "unit {} cannot move below {}: {} lies below it",
                                self.unit_name(unit),
                                self.unit_name(parent),
                                path.join(" → ")
                            ),
                            format!(
                                "Die Einheit {} kann nicht unter {} verschoben werden: {} liegt \
                                 unter ihr.",
                                self.unit_name(unit),
                                self.unit_name(parent),
                                path.join(" → ")
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::UnitMoved { unit, parent }])
            }
            C::RetireUnit { unit } => {
                if self.unit(*unit)?.retired {
                    return Err(Rejection::rule(
                        Rule::UnitActive,
                        Text::new(
                            format!("unit {unit} is retired already"),
                            format!(
                                "Die Einheit {} ist bereits stillgelegt.",
                                self.unit_name(*unit)
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::UnitRetired { unit: *unit }])
            }
            C::RegisterPerson { person, name } => {
                text("name", name)?;
                Ok(vec![EventBody::PersonRegistered {
                    person: *person,
                    name: name.trim().to_string(),
                }])
            }
            C::ForgetPerson { person, reason } => {
                // Special::ForgetPerson.
                if !self.s.has_role_anywhere(self.env.actor, Role::OkrMaster) {
                    return Err(self.unauthorized(self.root()));
                }
                self.person(*person, "person")?;
                if let Some(p) = self.s.people.get(person).filter(|p| p.forgotten) {
                    return Err(Rejection::rule(
                        Rule::Forgotten,
                        Text::new(
                            format!("{} ({person}) was forgotten already", p.name),
                            format!("{} ({person}) wurde bereits vergessen.", p.name),
                        ),
                    ));
                }
                text("reason", reason)?;
                Ok(vec![EventBody::PersonForgotten {
                    person: *person,
                    reason: reason.trim().to_string(),
                }])
            }
            C::GrantMembership { unit, person, role } => {
                self.person(*person, "person")?;
                // Special::GrantRole.
                self.grant_right(*unit, *role)?;
                if self.holds(*unit, *person, *role) {
                    return Err(Rejection::exists(
                        EntityKind::Membership,
                        self.membership(*unit, *person, *role),
                    ));
                }
                Ok(vec![EventBody::MembershipGranted {
                    unit: *unit,
                    person: *person,
                    role: *role,
                }])
            }
            C::RevokeMembership { unit, person, role } => {
                // Special::GrantRole.
                self.grant_right(*unit, *role)?;
                if !self.holds(*unit, *person, *role) {
                    return Err(Rejection::unknown_text(
                        EntityKind::Membership,
                        self.membership(*unit, *person, *role),
                    ));
                }
                if *role == Role::OkrMaster && self.s.okr_master_count() == 1 {
                    return Err(Rejection::rule(
                        Rule::KeepOneOkrMaster,
                        Text::new(
                            format!("{person} is the organisation's last OkrMaster; grant the role to someone else first"),
                            format!(
                                "{person} ist der letzte OKR-Master der Organisation; vergeben \
                                 Sie die Rolle zuerst an eine andere Person."
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::MembershipRevoked {
                    unit: *unit,
                    person: *person,
                    role: *role,
                }])
            }
            _ => unreachable!("`{}` is not an organisation command", body.name()),
        }
    }

    /// A membership as a refusal names it: `Lead of <person> in <unit>`.
    fn membership(&self, unit: UnitId, person: PersonId, role: Role) -> Text {
        Text::new(
            format!("{role} of {person} in {unit}"),
            format!(
                "„{}“ der Person {person} in der Einheit {}",
                role_de(role),
                self.unit_name(unit)
            ),
        )
    }

    /// Whether `person` holds `role` in `unit` itself (not above it).
    fn holds(&self, unit: UnitId, person: PersonId, role: Role) -> bool {
        self.s
            .units
            .get(&unit)
            .and_then(|u| u.members.get(&person))
            .is_some_and(|r| r.contains(&role))
    }
}
