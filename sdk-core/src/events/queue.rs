//! The bounded event queue: when full, the oldest event makes room and is counted as dropped.

use std::collections::VecDeque;

use super::Event;

#[derive(Debug, Clone)]
pub(crate) struct EventQueue {
    events: VecDeque<Event>,
    capacity: usize,
    dropped: u64,
}

impl EventQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, event: Event) {
        if self.events.len() >= self.capacity {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(event);
    }

    pub(crate) fn drain(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Track;

    fn track(n: usize) -> Event {
        Event::Track(Track {
            name: format!("e{n}"),
            unit: "u".into(),
            value: None,
            properties: Default::default(),
            timestamp: 0,
        })
    }

    #[test]
    fn drops_the_oldest_when_full_and_counts_them() {
        let mut queue = EventQueue::new(3);
        for n in 0..5 {
            queue.push(track(n));
        }
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.dropped(), 2);
        let names: Vec<String> = queue
            .drain()
            .into_iter()
            .map(|e| match e {
                Event::Track(t) => t.name,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["e2", "e3", "e4"]);
        assert_eq!(queue.len(), 0);
        assert_eq!(
            queue.dropped(),
            2,
            "draining does not reset the drop counter"
        );
    }
}
