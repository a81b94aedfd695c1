//! The kinds of per-group timeline the group state budget covers ([`super::budget`]), and how
//! the run names them.

/// The kinds of timeline the budget covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timeline {
    Starts,
    Spans,
    Windows,
    Messages,
    Topics,
}

/// One group's kinds cut by the final level: (kind, level, its full count).
pub type GroupCuts = Vec<(Timeline, u64, u64)>;

impl Timeline {
    pub const ALL: [Timeline; 5] = [
        Timeline::Starts,
        Timeline::Spans,
        Timeline::Windows,
        Timeline::Messages,
        Timeline::Topics,
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// For the summary and the reasons.
    pub fn describe(self) -> &'static str {
        match self {
            Timeline::Starts => "connection starts",
            Timeline::Spans => "connection spans",
            Timeline::Windows => "windows",
            Timeline::Messages => "message timings",
            Timeline::Topics => "topics",
        }
    }

    /// Which entries a group keeps.
    pub fn kept_first(self) -> &'static str {
        match self {
            Timeline::Topics => "smallest by name",
            _ => "earliest",
        }
    }
}
