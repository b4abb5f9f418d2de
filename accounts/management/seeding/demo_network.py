"""The demo network's social side: connections, followed specialties, a few published cases and
their discussion, so `make run` opens on a living feed. Everything goes through the network
services (guard, visibility, notifications); a second run finds it all in place and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import User
from accounts.services import is_verified_doctor
from chat.services import open_mentorship_room, send_message
from facilities.models import Tier
from mentorship.models import Mentorship
from mentorship.services import mentorships
from network.models import Case, Comment, Connection, ConnectionRequest, SpecialtyFollow
from network.services import cases, comments, connections, follows
from referrals.models import Referral
from referrals.services import referrals

# How many of the following verified doctors (in sign-in order) each one is connected to.
CONNECTIONS_EACH = 3


@dataclass(frozen=True)
class DemoCase:
    author: int  # index into the verified demo doctors
    title: str
    age_band: str
    sex: str
    presenting_problem: str
    question: str
    comment: str


CASES = (
    DemoCase(
        0,
        "Đau ngực kéo dài, điện tâm đồ không điển hình",
        "60-74",
        "male",
        "Đau ngực trái 3 giờ, lan lên hàm, vã mồ hôi. Điện tâm đồ: ST chênh xuống V4-V6.",
        "Có nên chuyển tuyến ngay để chụp mạch vành hay theo dõi men tim tại chỗ?",
        "Troponin lần hai sau 3 giờ rất quan trọng; nếu tăng nên liên hệ chuyển tuyến ngay.",
    ),
    DemoCase(
        1,
        "Trẻ sốt cao co giật lần đầu",
        "1-4",
        "female",
        "Sốt 39,5 độ, co giật toàn thân khoảng 2 phút, sau đó tỉnh, không dấu hiệu màng não.",
        "Có cần chọc dịch não tủy không, và tư vấn gia đình thế nào?",
        "Co giật do sốt đơn thuần thường không cần chọc dịch não tủy nếu trẻ tỉnh hoàn toàn.",
    ),
    DemoCase(
        2,
        "Đái tháo đường týp 2 kiểm soát kém ở tuyến xã",
        "45-59",
        "female",
        "HbA1c 9,8% dù dùng metformin liều tối đa, cân nặng tăng, không có biến chứng cấp.",
        "Nên thêm thuốc gì khi trạm y tế chỉ có danh mục thuốc hạn chế?",
        "Có thể cân nhắc thêm sulfonylurea có trong danh mục, kèm hướng dẫn phòng hạ đường huyết.",
    ),
)


def seed_demo_network(doctors: list[User]) -> None:
    """``doctors``: the demo doctors in sign-in order; only verified ones take part."""
    verified = [doctor for doctor in doctors if is_verified_doctor(doctor)]
    for index, doctor in enumerate(verified):
        for peer in verified[index + 1 : index + 1 + CONNECTIONS_EACH]:
            _connect(doctor, peer)
        specialty = doctor.specialties.order_by("pk").first()
        if (
            specialty is not None
            and not SpecialtyFollow.objects.filter(doctor=doctor, specialty=specialty).exists()
        ):
            follows.follow_specialty(doctor, specialty.pk)
    for demo in CASES:
        if demo.author + 1 < len(verified):
            _case(verified[demo.author], verified[demo.author + 1], demo)
    _mentorships(verified)
    _consultation(verified)


def _mentorships(verified: list[User]) -> None:
    """The first central doctor mentors the first doctor of each lower tier; the next lower-tier
    doctor asks the second central doctor, who has yet to answer."""
    by_tier: dict[str, list[User]] = {}
    for doctor in verified:
        if doctor.facility is not None:
            by_tier.setdefault(doctor.facility.tier, []).append(doctor)
    central = by_tier.get(Tier.CENTRAL, [])
    lower = [by_tier[tier] for tier in (Tier.PROVINCIAL, Tier.DISTRICT, Tier.COMMUNE) if by_tier.get(tier)]
    if not central:
        return
    for doctors in lower:
        proposal = _open_mentorship(central[0], doctors[0], proposer=central[0])
        if proposal is not None and proposal.status == Mentorship.Status.PROPOSED:
            mentorships.accept_mentorship(doctors[0], proposal.public_id)
    if len(central) > 1 and lower and len(lower[0]) > 1:
        _open_mentorship(central[1], lower[0][1], proposer=lower[0][1])


# A provincial mentee asks their central mentor about a case: in their mentorship's chat room,
# then as a referral the mentor has accepted.
CONSULTATION_CASE = DemoCase(  # written by the mentee; no comment
    author=0,
    title="Rung nhĩ mới phát hiện ở bệnh nhân suy thận mạn",
    age_band="60-74",
    sex="female",
    presenting_problem="Hồi hộp 2 ngày, điện tim rung nhĩ đáp ứng thất nhanh; mức lọc cầu thận 28 ml/phút.",
    question="Chọn thuốc chống đông nào và liều bao nhiêu với chức năng thận này?",
    comment="",
)
CONSULTATION_CHAT = (
    ("mentee", "demo-chat-1", "Chào anh, em có ca rung nhĩ trên suy thận mạn muốn hỏi ý kiến về chống đông."),
    ("mentor", "demo-chat-2", "Em gửi yêu cầu chuyển tuyến kèm ca bệnh, anh xem và trả lời trong hôm nay."),
    ("mentee", "demo-chat-3", "Em gửi rồi ạ, cảm ơn anh."),
)


def _consultation(verified: list[User]) -> None:
    mentorship = (
        Mentorship.objects.filter(
            status=Mentorship.Status.ACTIVE, mentor__in=verified, mentee__facility__tier=Tier.PROVINCIAL
        )
        .select_related("mentor", "mentee")
        .order_by("pk")
        .first()
    )
    if mentorship is None or Referral.objects.filter(requester=mentorship.mentee).exists():
        return
    people = {"mentor": mentorship.mentor, "mentee": mentorship.mentee}
    room = open_mentorship_room(mentorship.mentee, mentorship.pk)
    for sender, client_message_id, body in CONSULTATION_CHAT:
        send_message(people[sender], room.pk, body, client_message_id)
    case = _published_case(mentorship.mentee, CONSULTATION_CASE)
    referral = referrals.request_referral(
        mentorship.mentee,
        case_id=case.pk,
        urgency="routine",
        question="Xin ý kiến chọn thuốc chống đông và liều theo mức lọc cầu thận.",
        done_so_far="Đã kiểm soát tần số bằng bisoprolol; chưa dùng chống đông.",
        icd10_codes=["I48.9", "N18.4"],
    )  # to the active mentor, by default
    referrals.accept_referral(mentorship.mentor, referral.public_id)


def _open_mentorship(mentor: User, mentee: User, *, proposer: User) -> Mentorship | None:
    """The pair's open mentorship, proposed now if there is none (None if ever ended)."""
    existing = Mentorship.objects.filter(mentor=mentor, mentee=mentee).order_by("-proposed_at").first()
    if existing is not None:
        return existing if existing.status in (Mentorship.Status.PROPOSED, Mentorship.Status.ACTIVE) else None
    return mentorships.propose_mentorship(proposer, mentor_id=mentor.pk, mentee_id=mentee.pk)


def _connect(doctor: User, peer: User) -> None:
    if Connection.objects.filter(doctor=doctor, peer=peer).exists():
        return
    pending = ConnectionRequest.objects.filter(
        Q(sender=doctor, recipient=peer) | Q(sender=peer, recipient=doctor),
        status=ConnectionRequest.Status.PENDING,
    ).first()
    request = pending or connections.send_connection_request(doctor, peer.pk)
    connections.accept_connection_request(request.recipient, request.pk)


def _case(author: User, commenter: User, demo: DemoCase) -> None:
    case = _published_case(author, demo)
    if not Comment.objects.filter(case=case, author=commenter).exists():
        comments.add_comment(commenter, case.pk, demo.comment)


def _published_case(author: User, demo: DemoCase) -> Case:
    case = Case.objects.filter(author=author, title=demo.title).first()
    if case is None:
        specialty = author.specialties.order_by("pk").first()
        assert specialty is not None, "demo doctors have specialties"
        case = cases.create_case(
            author,
            title=demo.title,
            specialty_id=specialty.pk,
            age_band=demo.age_band,
            sex=demo.sex,
            presenting_problem=demo.presenting_problem,
            question=demo.question,
        )
        case = cases.publish_case(author, case.pk)
    return case
