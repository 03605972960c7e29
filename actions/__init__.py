"""The action server: one module per feature. rasa-sdk imports every submodule of this package."""
