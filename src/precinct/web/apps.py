from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "precinct.web"
    label = "web"
