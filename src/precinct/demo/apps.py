from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "precinct.demo"
    label = "demo"
