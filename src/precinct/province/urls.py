from django.urls import path

from . import views

app_name = "province"
urlpatterns = [path("", views.cities, name="cities")]
