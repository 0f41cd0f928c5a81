from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("findings/", views.finding_list, name="finding_list"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/review/", views.review_add, name="review_add"),
    path("tickets/<uuid:ticket_id>/move/", views.ticket_move, name="ticket_move"),
    path("good-practice/", views.good_practice, name="good_practice"),
    path("holidays/", views.holidays, name="holidays"),
]
