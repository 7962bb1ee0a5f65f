"""Programme monitoring: designations against targets, projects, events, parks-in-the-park."""
