"""Referral rooms: opened for requester and consultant when a consultant accepts; closed with
the referral (a cancelled one), live subscriptions included."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Room, RoomMember
from chat.selectors.rooms import may_use_room, room_title
from common.errors import ServiceError
from referrals.models import Referral
from referrals.services import referrals as referral_services
from tests import factories
from tests.chat import test_room_events
from tests.chat.builders import send
from tests.chat.test_room_events import completed, subscribed
from tests.referrals import conftest as referral_fixtures
from tests.referrals.conftest import advance, refer

# The fixtures of tests/referrals (doctors, a case) and of the socket tests.
requester = referral_fixtures.requester
consultant = referral_fixtures.consultant
case = referral_fixtures.case
open_socket = test_room_events.open_socket
_fresh_channel_layer = test_room_events._fresh_channel_layer


@pytest.mark.django_db
def test_accepting_a_referral_opens_its_room_for_both(requester, consultant, case):
    referral = refer(requester, case, consultant)
    assert not Room.objects.filter(kind=Room.Kind.REFERRAL).exists()
    with pytest.raises(ServiceError) as refused:
        services.open_referral_room(requester, referral.pk)
    assert str(refused.value.code) == "REFERRAL_NOT_ACCEPTED"

    advance(referral, Referral.Status.ACCEPTED, requester, consultant)
    room = Room.objects.get(kind=Room.Kind.REFERRAL, referral=referral)
    assert set(RoomMember.objects.filter(room=room).values_list("doctor_id", flat=True)) == {
        requester.pk,
        consultant.pk,
    }
    assert services.open_referral_room(consultant, referral.pk) == room
    assert send(consultant, room).message.seq == 1
    assert room_title(room, requester.pk) == consultant.full_name
    with pytest.raises(ServiceError):
        services.open_referral_room(factories.doctor(), referral.pk)


@pytest.mark.django_db(transaction=True)
async def test_a_cancelled_referral_closes_its_room(requester, consultant, case, open_socket):
    referral = await database_sync_to_async(refer)(requester, case, consultant)
    referral = await database_sync_to_async(advance)(
        referral, Referral.Status.ACCEPTED, requester, consultant
    )
    room = await database_sync_to_async(Room.objects.get)(referral=referral)
    socket = await subscribed(open_socket, consultant, room)
    await database_sync_to_async(referral_services.cancel_referral)(requester, referral.public_id)
    await completed(socket)
    assert not await database_sync_to_async(may_use_room)(requester.pk, room.pk)
