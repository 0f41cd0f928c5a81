from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "precinct.ops"
    label = "ops"
