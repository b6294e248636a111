//! JVM entry points (filled in with the Kotlin binding).
