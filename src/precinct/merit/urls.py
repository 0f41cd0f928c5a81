from django.urls import path

from . import views

app_name = "merit"
urlpatterns = [
    path("", views.month, name="month"),
    path("months/<str:month>/", views.month, name="month_of"),
    path(
        "months/<str:month>/officers/<uuid:officer_id>/", views.officer_month, name="officer_month"
    ),
    path("months/<str:month>/bonus.xlsx", views.finance_export, name="finance_export"),
    path("months/<str:month>/fund/", views.month_fund, name="month_fund"),
    path("months/<str:month>/pay/", views.month_pay, name="month_pay"),
    path("months/<str:month>/close/", views.month_close, name="month_close"),
    path("months/<str:month>/pack.<str:fmt>", views.session_pack, name="session_pack"),
    path("months/<str:month>/sessions/", views.sessions, name="sessions"),
    path("awards/", views.award_list, name="award_list"),
    path("awards/<uuid:award_id>/decide/", views.award_decide, name="award_decide"),
    path("awards/<uuid:award_id>/dossier.pdf", views.award_dossier, name="award_dossier"),
    path("policy/", views.policy, name="policy"),
    path("promotion/", views.promotion, name="promotion"),
    path("recruits/", views.recruits, name="recruits"),
    path("recruits/<uuid:officer_id>/", views.induction_record, name="induction_record"),
    path("achievements/", views.achievement_list, name="achievement_list"),
    path("achievements/decide/", views.achievement_decide, name="achievement_decide"),
    path("warnings/", views.warning_queue, name="warning_queue"),
    path("warnings/<uuid:item_id>/decide/", views.warning_decide, name="warning_decide"),
]
