# Referral alerts become network notifications of the referral kinds: the rows move over (same
# recipient, referral, title and times), then the alerts' table goes.

from django.db import migrations

BATCH = 2000
PREFIX = "referral_"  # an alert of kind "accepted" is a notification of kind "referral_accepted"


def alerts_to_notifications(apps, schema_editor):
    ReferralAlert = apps.get_model("referrals", "ReferralAlert")
    Notification = apps.get_model("network", "Notification")
    alerts = ReferralAlert.objects.order_by("pk").iterator(chunk_size=BATCH)
    Notification.objects.bulk_create(
        (
            Notification(
                recipient_id=alert.recipient_id,
                kind=PREFIX + alert.kind,
                referral_id=alert.referral_id,
                title=alert.title,
                created_at=alert.created_at,
                read_at=alert.read_at,
            )
            for alert in alerts
        ),
        batch_size=BATCH,
    )


def notifications_to_alerts(apps, schema_editor):
    ReferralAlert = apps.get_model("referrals", "ReferralAlert")
    Notification = apps.get_model("network", "Notification")
    NotificationMute = apps.get_model("network", "NotificationMute")
    notifications = Notification.objects.filter(referral__isnull=False, kind__startswith=PREFIX)
    ReferralAlert.objects.bulk_create(
        (
            ReferralAlert(
                recipient_id=notification.recipient_id,
                referral_id=notification.referral_id,
                kind=notification.kind.removeprefix(PREFIX),
                title=notification.title,
                created_at=notification.created_at,
                read_at=notification.read_at,
            )
            for notification in notifications.order_by("pk").iterator(chunk_size=BATCH)
        ),
        batch_size=BATCH,
    )
    notifications.delete()
    # Before this migration there were no referral kinds to mute.
    NotificationMute.objects.filter(kind__startswith=PREFIX).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("network", "0003_notification_referral"),
        ("referrals", "0003_metrics_durations"),
    ]

    operations = [
        migrations.RunPython(alerts_to_notifications, notifications_to_alerts),
        migrations.DeleteModel(name="ReferralAlert"),
    ]
