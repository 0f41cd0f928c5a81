from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/", views.export_file, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.template_file, name="template"),
]
