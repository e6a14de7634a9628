"""Pure shaping of read-model objects into what a screen shows: strings, SVG paths, figures. No Reflex, no I/O."""
