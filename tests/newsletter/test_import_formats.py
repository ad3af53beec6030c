"""Subscriber exports from other platforms import as they come (issue 11, day-one trap 5).

The samples are written here, with the header names each platform's export uses (the
sources are listed in newsletter/imports.py): non-ASCII names, quoted commas, a BOM and CRLF
line ends where a spreadsheet saved the file.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from newsletter.imports import parse_subscriber_csv
from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

IMPORT = "admin:newsletter_subscriber_import"

SUBSTACK = (
    "email,name,active_subscription,expiry,plan,email_disabled,created_at,first_payment_at,type\n"
    "zoe@example.org,Zoë Ångström,true,,,false,2021-03-04T10:11:12.713Z,,free\n"
    'ann@example.org,"Lee, Ann",true,2026-01-01T00:00:00.000Z,monthly,false,'
    "2020-01-02T03:04:05.000Z,2020-01-02T03:04:05.000Z,paid\n"
    "quiet@example.org,Şule,false,,,true,2019-05-06T07:08:09.000Z,,free\n"
)
GHOST = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,"
    "created_at,deleted_at,labels,tiers\n"
    '6543a,zoe@example.org,Zoë Ångström,"Met at a talk, Lyon",true,false,,'
    '2022-10-30T14:52:08.000Z,,"import, friends",\n'
    "6543b,left@example.org,Jürgen,,false,false,,2021-01-01T00:00:00.000Z,,,\n"
)
# Mailchimp exports an audience as a ZIP of three files (subscribed, unsubscribed, cleaned);
# this is the subscribed file after a round trip through Excel: BOM and CRLF.
MAILCHIMP_SUBSCRIBED = "\ufeff" + (
    "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,"
    "CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,"
    "NOTES,TAGS\r\n"
    "zoe@example.org,Zoë,Ångström,2,2019-03-21 10:20:33,198.51.100.7,2019-03-21 10:21:40,"
    '198.51.100.7,,,,,,,,2020-01-01 00:00:00,123,abc,,"""Friends"",""Lyon, FR"""\r\n'
    "ann@example.org,Ann,Lee,3,2020-05-01 08:00:00,,2020-05-01 08:05:00,,,,,,,,,"
    "2020-05-01 08:05:00,124,abd,,\r\n"
)
MAILCHIMP_UNSUBSCRIBED = (
    "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,"
    "CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,UNSUB_TIME,"
    "UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS\n"
    "gone@example.org,Søren,Kierkegaard,1,2019-01-01 00:00:00,,2019-01-01 00:01:00,,,,,,,,,"
    '2023-02-03 04:05:06,"Spring, 2023",abc123,NORMAL,,125,abe,,\n'
)
MAILCHIMP_CLEANED = (
    "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,"
    "CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,CLEAN_TIME,"
    "CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS\n"
    "bounced@example.org,Đorđe,,1,2019-01-01 00:00:00,,,,,,,,,,,2023-02-03 04:05:06,"
    "Spring,abc123,126,abf,,\n"
)
BUTTONDOWN = (
    "id,email,creation_date,notes,metadata,tags,referrer_url,secondary_id,subscriber_type\n"
    'b1,zoe@example.org,2023-01-05T12:00:00.123456+00:00,,"{""name"": ""Zoë, Å""}",'
    "[],,1,regular\n"
    "b2,new@example.org,2024-02-01T09:00:00+00:00,,{},[],,2,unactivated\n"
    "b3,left@example.org,2022-07-01T09:00:00+00:00,,{},[],,3,unsubscribed\n"
)


def import_csv(client, text, *, mode="active", consent_source="Platform export, 2025"):
    upload = SimpleUploadedFile("subscribers.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(
        reverse(IMPORT), {"file": upload, "mode": mode, "consent_source": consent_source}
    )


def statuses() -> dict[str, str]:
    return dict(Subscriber.objects.values_list("email", "status"))


def test_the_issues_email_and_name_file_imports(author_client):
    response = import_csv(author_client, "email,name\nzoe@example.org,Zoë\n")
    assert response.status_code == 200
    assert response.context["report"].created == 1
    assert statuses() == {"zoe@example.org": "active"}


def test_a_substack_export_imports_and_disabled_email_stays_off(author_client):
    response = import_csv(author_client, SUBSTACK)
    assert response.status_code == 200
    assert response.context["report"].created == 3
    assert statuses() == {
        "zoe@example.org": "active",
        "ann@example.org": "active",
        "quiet@example.org": "unsubscribed",
    }
    zoe = Subscriber.objects.get(email="zoe@example.org")
    assert zoe.signed_up_at == datetime.datetime(
        2021, 3, 4, 10, 11, 12, 713000, tzinfo=datetime.UTC
    )


def test_a_ghost_export_imports_and_unsubscribed_members_stay_unsubscribed(author_client):
    response = import_csv(author_client, GHOST)
    assert response.status_code == 200
    assert statuses() == {"zoe@example.org": "active", "left@example.org": "unsubscribed"}
    zoe = Subscriber.objects.get(email="zoe@example.org")
    assert zoe.signed_up_at == datetime.datetime(2022, 10, 30, 14, 52, 8, tzinfo=datetime.UTC)


def test_mailchimps_excel_saved_subscribed_file_imports_with_its_consent_record(author_client):
    response = import_csv(author_client, MAILCHIMP_SUBSCRIBED)
    assert response.status_code == 200
    assert response.context["report"].created == 2
    zoe = Subscriber.objects.get(email="zoe@example.org")
    assert zoe.status == "active"
    assert zoe.signed_up_at == datetime.datetime(2019, 3, 21, 10, 20, 33, tzinfo=datetime.UTC)
    assert zoe.confirmed_at == datetime.datetime(2019, 3, 21, 10, 21, 40, tzinfo=datetime.UTC)
    assert (zoe.signup_ip, zoe.confirmed_ip) == ("198.51.100.7", "198.51.100.7")


def test_mailchimps_unsubscribed_and_cleaned_files_keep_their_status(author_client):
    import_csv(author_client, MAILCHIMP_UNSUBSCRIBED)
    import_csv(author_client, MAILCHIMP_CLEANED)
    assert statuses() == {"gone@example.org": "unsubscribed", "bounced@example.org": "bounced"}
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.unsubscribed_at == datetime.datetime(2023, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)


def test_a_buttondown_export_imports_with_each_subscriber_type(author_client):
    response = import_csv(author_client, BUTTONDOWN)
    assert response.status_code == 200
    assert statuses() == {
        "zoe@example.org": "active",
        # Never confirmed at Buttondown: asked to confirm here, whatever the import mode.
        "new@example.org": "pending",
        "left@example.org": "unsubscribed",
    }


@pytest.mark.parametrize(
    ("sample", "ignored"),
    [
        (SUBSTACK, ["name", "active_subscription", "expiry", "plan", "first_payment_at"]),
        (GHOST, ["id", "name", "note", "complimentary_plan", "stripe_customer_id"]),
        (MAILCHIMP_SUBSCRIBED, ["First Name", "Last Name", "MEMBER_RATING", "LATITUDE"]),
        (BUTTONDOWN, ["id", "notes", "metadata", "tags", "referrer_url", "secondary_id"]),
    ],
)
def test_every_platforms_unknown_columns_are_ignored_and_listed(sample, ignored):
    parsed = parse_subscriber_csv(sample)
    assert parsed.errors == []
    assert set(ignored) <= set(parsed.ignored_columns)
    assert not {"email", "Email Address", "created_at", "OPTIN_TIME"} & set(parsed.ignored_columns)


def test_the_admin_report_names_the_ignored_columns(author_client):
    response = import_csv(author_client, 'Email,Name,Tags\nzoe@example.org,Zoë,"a, b"\n')
    html = response.content.decode()
    assert response.context["report"].created == 1
    assert "Ignored columns: Name, Tags" in html
    assert "1 subscriber added." in html


def test_header_names_are_matched_without_case_or_spaces():
    parsed = parse_subscriber_csv("  EMAIL_ADDRESS , Created_At \nzoe@example.org,2020-01-02\n")
    assert parsed.errors == []
    assert parsed.ignored_columns == []
    assert parsed.rows[0].values["signed_up_at"] == datetime.datetime(
        2020, 1, 2, tzinfo=datetime.UTC
    )


def test_a_second_column_for_the_same_field_is_ignored_not_merged():
    parsed = parse_subscriber_csv("email,Email Address\nzoe@example.org,other@example.org\n")
    assert [row.email for row in parsed.rows] == ["zoe@example.org"]
    assert parsed.ignored_columns == ["Email Address"]


def test_a_file_without_an_email_column_is_refused_naming_its_columns(author_client):
    response = import_csv(author_client, "name,address\nZoe,zoe@example.org\n")
    assert response.status_code == 400
    html = response.content.decode()
    assert "no column of email addresses" in html
    assert "this file has: name, address" in html
    assert Subscriber.objects.count() == 0


def test_one_invalid_row_in_a_platform_export_imports_nothing(author_client):
    broken = BUTTONDOWN + "b4,not-an-address,2024-02-01T09:00:00+00:00,,{},[],,4,regular\n"
    broken += "b5,odd@example.org,yesterday,,{},[],,5,regular\n"
    broken += "b6,who@example.org,2024-02-01T09:00:00+00:00,,{},[],,6,mystery\n"
    response = import_csv(author_client, broken)
    assert response.status_code == 400
    assert [line for line, _ in response.context["errors"]] == [5, 6, 7]
    assert "unknown subscriber type 'mystery'" in response.context["errors"][2][1]
    assert "Nothing was imported" in response.content.decode()
    assert Subscriber.objects.count() == 0


def test_a_yes_no_column_with_another_value_is_an_error():
    parsed = parse_subscriber_csv("email,subscribed_to_emails\nzoe@example.org,maybe\n")
    assert parsed.errors == [(2, "subscribed_to_emails is not true or false: 'maybe'")]
