from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.signals import doctor_standing_changed
        from chat.services import access, rooms
        from mentorship.models import Mentorship
        from network.models import Block, Case, CaseAudience, Connection
        from referrals.models import Referral
        from referrals.signals import consultant_assigned

        # What room access depends on (chat.selectors.rooms): a change closes live subscriptions.
        post_save.connect(access.on_case_saved, sender=Case, dispatch_uid="chat.case_saved")
        post_delete.connect(
            access.on_audience_changed, sender=CaseAudience, dispatch_uid="chat.audience_removed"
        )
        post_delete.connect(
            access.on_connection_removed, sender=Connection, dispatch_uid="chat.connection_removed"
        )
        post_save.connect(access.on_block, sender=Block, dispatch_uid="chat.block")
        post_save.connect(access.on_mentorship_saved, sender=Mentorship, dispatch_uid="chat.mentorship_saved")
        post_save.connect(access.on_referral_saved, sender=Referral, dispatch_uid="chat.referral_saved")
        doctor_standing_changed.connect(access.on_standing_changed, dispatch_uid="chat.standing_changed")
        # A referral's room opens when it gets its consultant.
        consultant_assigned.connect(rooms.on_consultant_assigned, dispatch_uid="chat.consultant_assigned")
