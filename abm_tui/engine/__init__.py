"""Frames to an assignment, per tweak: engagement features (once per load), segmentation, the result
frame, explanations, size guidance and an account's timeline."""
