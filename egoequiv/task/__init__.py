"""A task: the frames of a source (or two combined), split into train and test, the labelled
subset, the neighbour pairs and their motion patterns. Both training and evaluation build on
it; it imports only data, motion and the config."""
