"""Custom actions of the assistant, served by `rasa run actions --actions actions`.

rasa-sdk imports every module of this package and registers each concrete `Action`
subclass it finds, so a new action only needs a module here.
"""
