"""``egoequiv reproduce``: the paper's protocol (greedy cross-validation on a validation split,
final runs on several label splits, controls) for the NORB, KITTI and KITTI->SUN settings."""
