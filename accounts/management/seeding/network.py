"""Country-scale network data on top of the synthetic doctors: connections, followed
specialties, de-identified case posts (some for connections or named doctors only) and their
discussion, for the feed benchmark.

Steps of :data:`accounts.management.seeding.country.PIPELINE`, sized from the number of doctors
(200,000 doctors give ~6,000,000 connection rows, 1,000,000 cases and ~3,000,000 comments).
Like the other steps each draws from its own seeded generator and writes with COPY; they read
the doctors back from the database (ordered by id, i.e. in the order they were made), so they
can also run alone over an existing country (:func:`seed_network`).

Only doctors who are or were verified take part (a pending or rejected doctor never could).
Connections are mostly local: same province and specialty, then same province, a neighbouring
province, or the same specialty anywhere. Case texts come from clinical templates by specialty
and never contain a patient identifier (no names, dates of birth, numbers or addresses).
"""

from __future__ import annotations

import bisect
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import connection, transaction
from django.db.models import ForeignKey, Model

from accounts.models import User, VerificationStatus
from facilities.geography import neighbouring_provinces
from facilities.models import Specialty, Tier
from network.models import AgeBand, Case, CaseAudience, Comment, Connection, Sex, SpecialtyFollow

if TYPE_CHECKING:  # country imports this module for its pipeline
    from accounts.management.seeding.country import CountryParameters, SeedContext, Step

# Per doctor of the data set (200,000 doctors: 6M connection rows, 1M cases, ~3M comments).
CONNECTIONS_PER_DOCTOR = 30
CASES_PER_DOCTOR = 5
COMMENTS_PER_CASE = 3.0

# Who may have connected, posted or commented: doctors verified now or in the past.
MEMBER_STATUSES = (VerificationStatus.VERIFIED, VerificationStatus.EXPIRED, VerificationStatus.REVOKED)
# Where a new connection's peer comes from (cumulative shares).
PEER_POOLS = (("province_specialty", 0.50), ("province", 0.25), ("neighbour", 0.10), ("specialty", 0.15))
VISIBILITY_MIX = {
    Case.Visibility.NETWORK: 0.85,
    Case.Visibility.CONNECTIONS: 0.11,
    Case.Visibility.NAMED: 0.04,
}
HISTORY_DAYS = 730  # cases span the two years before the data set's day
FIRST_CASE_AFTER = timedelta(days=3)  # a new member's first case comes some days after joining
DELETED_SHARE, HIDDEN_SHARE = 0.002, 0.001
ANSWERED_SHARE, CLOSED_SHARE = 0.30, 0.10
REPLY_SHARE = 0.30  # of comments after the first
CHUNK = 20_000  # cases generated and copied at a time
CONNECTION_CHUNK = 5_000  # doctors whose connection rows are copied at a time (~150,000 rows)


# --- Clinical templates ------------------------------------------------------------------------

ACUTE = ("2 giờ", "6 giờ", "12 giờ", "1 ngày", "2 ngày")
SUBACUTE = ("3 ngày", "5 ngày", "1 tuần", "2 tuần", "1 tháng")
CHRONIC = ("3 tháng", "6 tháng", "1 năm", "nhiều năm")
ADULTS = (AgeBand.ADULT_18_29, AgeBand.ADULT_30_44, AgeBand.ADULT_45_59, AgeBand.ADULT_60_74)
OLDER = (AgeBand.ADULT_45_59, AgeBand.ADULT_60_74, AgeBand.ADULT_75_PLUS)
CHILDREN = (AgeBand.INFANT, AgeBand.CHILD_1_4, AgeBand.CHILD_5_11, AgeBand.ADOLESCENT)
NEWBORNS = (AgeBand.NEWBORN,)
CHILDBEARING = (AgeBand.ADULT_18_29, AgeBand.ADULT_30_44)
EVERYONE = (*CHILDREN, *ADULTS, AgeBand.ADULT_75_PLUS)


@dataclass(frozen=True)
class Scenario:
    """A clinical situation doctors ask about. ``{who}`` becomes "Nam 45-59 tuổi" and the like,
    ``{dur}`` a duration, ``{place}`` where the author works."""

    specialties: tuple[str, ...]
    title: str
    problem: str
    history: str
    findings: str
    investigations: str
    question: str
    icd10: tuple[str, ...]
    tags: tuple[str, ...]
    ages: tuple[str, ...] = ADULTS
    durations: tuple[str, ...] = ACUTE
    sexes: tuple[str, ...] = (Sex.MALE, Sex.FEMALE)


S = Scenario
SCENARIOS: tuple[Scenario, ...] = (
    S(("internal-medicine", "infectious-diseases", "family-medicine"),
      "{who} sốt kéo dài {dur}, gan lách to: hướng chẩn đoán tiếp theo?",
      "Sốt dao động 38-39 độ C trong {dur}, mệt mỏi, sụt cân, chán ăn.",
      "Không rõ bệnh mạn tính. Đã dùng kháng sinh đường uống ở tuyến trước nhưng không đỡ.",
      "Gan to dưới bờ sườn khoảng hai khoát ngón tay, lách mấp mé, không vàng da, không sờ thấy hạch.",
      "Bạch cầu giảm nhẹ, CRP tăng, men gan tăng gấp đôi, cấy máu đang chờ kết quả.",
      "Nên làm thêm xét nghiệm gì tại {place} trước khi quyết định chuyển tuyến?",
      ("R50.9",), ("sốt kéo dài", "gan lách to"), durations=SUBACUTE),
    S(("internal-medicine", "geriatrics", "endocrinology"),
      "{who} lú lẫn, natri máu 118 mmol/L: bù natri thế nào cho an toàn?",
      "Lú lẫn tăng dần trong {dur}, buồn nôn, đi lại không vững.",
      "Đang dùng thuốc lợi tiểu thiazide vì tăng huyết áp; ăn uống kém gần đây.",
      "Tỉnh nhưng chậm chạp, không dấu hiệu thần kinh khu trú, không phù, niêm mạc hơi khô.",
      "Natri máu 118 mmol/L, kali 3,2 mmol/L, áp lực thẩm thấu máu giảm, chức năng thận bình thường.",
      "Tốc độ nâng natri bao nhiêu là an toàn để tránh hủy myelin cầu não?",
      ("E87.1",), ("hạ natri máu", "rối loạn điện giải"), ages=OLDER, durations=SUBACUTE),
    S(("internal-medicine", "cardiology", "family-medicine"),
      "{who} tăng huyết áp kháng trị dù đã dùng ba thuốc",
      "Huyết áp thường xuyên 170/100 mmHg trong {dur} dù tuân thủ điều trị.",
      "Đang dùng ức chế men chuyển, chẹn kênh canxi và lợi tiểu liều tối đa; ngáy to khi ngủ.",
      "Thể trạng béo bụng, không có tiếng thổi động mạch thận, mạch hai tay đều.",
      "Kali máu 3,3 mmol/L, creatinin bình thường, siêu âm thận chưa thấy bất thường.",
      "Có nên tầm soát cường aldosteron nguyên phát trước khi thêm spironolacton?",
      ("I10", "I15.9"), ("tăng huyết áp", "kháng trị"), ages=OLDER, durations=CHRONIC),
    S(("cardiology", "emergency-medicine", "internal-medicine"),
      "{who} đau ngực {dur}, ST chênh lên thành dưới: tiêu sợi huyết hay chuyển can thiệp?",
      "Đau thắt ngực trái lan lên hàm, vã mồ hôi, khởi phát cách đây {dur}.",
      "Hút thuốc lá lâu năm, đái tháo đường type 2 đang dùng metformin.",
      "Huyết áp 100/60 mmHg, mạch 58 lần/phút, phổi không ran.",
      "Điện tim ST chênh lên ở DII, DIII, aVF; troponin tăng. Thời gian chuyển đến trung tâm can thiệp khoảng ba giờ.",
      "Với thời gian vận chuyển như vậy, {place} nên tiêu sợi huyết trước rồi chuyển không?",
      ("I21.1",), ("nhồi máu cơ tim", "tái tưới máu"), ages=OLDER, sexes=(Sex.MALE,)),
    S(("cardiology", "internal-medicine", "geriatrics"),
      "{who} rung nhĩ mới phát hiện, CHA2DS2-VASc 3 điểm: chọn thuốc chống đông nào?",
      "Hồi hộp từng cơn trong {dur}, phát hiện rung nhĩ khi khám sức khỏe.",
      "Tăng huyết áp, đái tháo đường; chức năng thận giảm nhẹ; từng xuất huyết tiêu hóa nhiều năm trước.",
      "Nhịp tim không đều khoảng 110 lần/phút, không dấu hiệu suy tim.",
      "Siêu âm tim chức năng tâm thu bảo tồn, nhĩ trái giãn nhẹ; độ thanh thải creatinin khoảng 50 ml/phút.",
      "Nên dùng thuốc chống đông đường uống thế hệ mới hay kháng vitamin K khi bảo hiểm chỉ chi trả một loại?",
      ("I48.9",), ("rung nhĩ", "chống đông"), ages=OLDER, durations=SUBACUTE),
    S(("cardiology", "internal-medicine"),
      "{who} khó thở khi nằm, phù hai chân, EF 30%: tối ưu điều trị nội khoa",
      "Khó thở tăng dần trong {dur}, phải kê cao gối khi ngủ, phù hai cẳng chân.",
      "Nhồi máu cơ tim cũ; đang dùng lợi tiểu quai và chẹn beta liều thấp.",
      "Tĩnh mạch cổ nổi, ran ẩm hai đáy phổi, gan to, phù mềm ấn lõm.",
      "NT-proBNP tăng cao, siêu âm tim EF 30%, kali máu 4,8 mmol/L.",
      "Bắt đầu ARNI và SGLT2 cùng lúc hay lần lượt ở người bệnh huyết áp thấp?",
      ("I50.2",), ("suy tim", "EF giảm"), ages=OLDER, durations=SUBACUTE),
    S(("emergency-medicine", "critical-care", "internal-medicine"),
      "{who} uống thuốc diệt cỏ paraquat cách đây {dur}: xử trí ban đầu",
      "Uống khoảng một ngụm thuốc diệt cỏ có paraquat cách đây {dur}, nôn nhiều, bỏng rát miệng họng.",
      "Không có bệnh mạn tính; người nhà mang theo chai thuốc.",
      "Loét niêm mạc miệng, huyết áp ổn định, SpO2 97% khí trời.",
      "Test nước tiểu dithionite dương tính; creatinin còn bình thường.",
      "Có nên lọc máu hấp phụ sớm không, và tránh thở oxy thế nào khi SpO2 còn tốt?",
      ("T60.3",), ("ngộ độc", "paraquat"), ages=(AgeBand.ADOLESCENT, *ADULTS)),
    S(("emergency-medicine", "family-medicine", "general-surgery"),
      "{who} bị rắn lục cắn ở cẳng chân {dur} trước, sưng nề lan nhanh",
      "Bị rắn lục đuôi đỏ cắn khi làm vườn cách đây {dur}; đau, sưng lan đến gối.",
      "Khỏe mạnh trước đó; đã garô tại chỗ trước khi đến {place}.",
      "Vết cắn có hai dấu răng, bầm tím, bọng nước nhỏ; chảy máu chân răng.",
      "Thời gian đông máu kéo dài, tiểu cầu giảm; chưa có huyết thanh kháng nọc đặc hiệu tại chỗ.",
      "Tháo garô thế nào cho an toàn và có nên chuyển ngay để dùng huyết thanh kháng nọc?",
      ("T63.0",), ("rắn cắn", "rối loạn đông máu"), ages=(AgeBand.ADOLESCENT, *ADULTS)),
    S(("emergency-medicine", "orthopaedics-traumatology", "general-surgery", "critical-care"),
      "{who} đa chấn thương sau tai nạn xe máy, huyết áp tụt",
      "Tai nạn giao thông cách đây {dur}, đau bụng và đau đùi phải, vật vã.",
      "Không đội mũ bảo hiểm đúng cách; có uống rượu trước tai nạn.",
      "Huyết áp 80/50 mmHg, mạch 130 lần/phút, bụng chướng, đùi phải biến dạng.",
      "Siêu âm FAST có dịch ổ bụng; Hb giảm còn 85 g/L.",
      "Thứ tự ưu tiên xử trí và chuyển tuyến thế nào khi {place} chưa có phòng mổ sẵn sàng?",
      ("T07", "S72.3"), ("đa chấn thương", "sốc mất máu"), ages=(AgeBand.ADOLESCENT, *ADULTS)),
    S(("infectious-diseases", "paediatrics", "internal-medicine", "family-medicine"),
      "Sốt xuất huyết Dengue ngày thứ 5 ở {who}, tiểu cầu 25 G/L, có dấu hiệu cảnh báo",
      "Sốt cao {dur} rồi hết sốt, nay đau bụng vùng gan, nôn nhiều, mệt lả.",
      "Trong khu vực đang có nhiều ca sốt xuất huyết; không có bệnh nền.",
      "Gan to, ấn đau; chấm xuất huyết dưới da; huyết áp kẹt nhẹ.",
      "Hematocrit tăng 20% so với ban đầu, tiểu cầu 25 G/L, men gan tăng.",
      "Bù dịch theo phác đồ nào và khi nào cần chuyển tuyến trên?",
      ("A97.1",), ("sốt xuất huyết", "Dengue"), ages=(AgeBand.CHILD_5_11, AgeBand.ADOLESCENT, *ADULTS),
      durations=("3 ngày", "4 ngày", "5 ngày")),
    S(("infectious-diseases", "emergency-medicine", "family-medicine"),
      "{who} cứng hàm, co cứng cơ sau vết thương bàn chân: nghi uốn ván",
      "Khó há miệng, cứng gáy, co cứng cơ bụng xuất hiện {dur} sau khi dẫm phải đinh.",
      "Chưa tiêm nhắc vắc xin uốn ván nhiều năm; vết thương tự xử trí tại nhà.",
      "Cười nhăn, co cứng toàn thân khi có kích thích, chưa suy hô hấp.",
      "Xét nghiệm máu cơ bản bình thường; vết thương bàn chân còn mủ.",
      "Liều huyết thanh kháng độc tố và thuốc giãn cơ ban đầu tại {place} như thế nào?",
      ("A35",), ("uốn ván",), ages=OLDER, durations=SUBACUTE),
    S(("infectious-diseases", "paediatrics", "emergency-medicine"),
      "{who} sốt cao, ban xuất huyết hoại tử lan nhanh: nghi nhiễm não mô cầu",
      "Sốt cao đột ngột {dur}, đau đầu, nôn, xuất hiện ban tím ở chân.",
      "Sống tập thể; chưa tiêm vắc xin não mô cầu.",
      "Ban xuất huyết hoại tử ở hai chân, cổ cứng, chi lạnh, mạch nhanh.",
      "Bạch cầu tăng, tiểu cầu giảm, procalcitonin rất cao.",
      "Có nên tiêm kháng sinh ngay trước khi chọc dịch não tủy và chuyển tuyến không?",
      ("A39.0", "A39.2"), ("não mô cầu", "cấp cứu"), ages=(*CHILDREN, AgeBand.ADULT_18_29)),
    S(("paediatrics", "infectious-diseases", "family-medicine"),
      "Bệnh tay chân miệng độ 2a ở {who}: theo dõi tại chỗ hay chuyển tuyến?",
      "Sốt {dur}, loét miệng, bóng nước ở lòng bàn tay bàn chân, giật mình vài lần khi ngủ.",
      "Nhà trẻ có nhiều trẻ mắc tay chân miệng.",
      "Tỉnh, mạch 130 lần/phút khi không sốt, không run chi, không yếu liệt.",
      "Đường huyết bình thường, bạch cầu 14 G/L.",
      "Dấu hiệu nào buộc phải chuyển tuyến ngay và có nên dùng phenobarbital không?",
      ("B08.4",), ("tay chân miệng",), ages=(AgeBand.CHILD_1_4,), durations=("1 ngày", "2 ngày", "3 ngày")),
    S(("paediatrics", "respiratory-medicine"),
      "{who} viêm phổi tái đi tái lại: tìm nguyên nhân gì?",
      "Viêm phổi lần thứ ba trong {dur}, lần này ho, sốt, thở nhanh.",
      "Sinh đủ tháng; hay sặc khi bú; chậm tăng cân.",
      "Thở nhanh, rút lõm lồng ngực nhẹ, ran ẩm đáy phổi phải.",
      "X-quang đông đặc thùy dưới phổi phải, cùng vị trí các lần trước.",
      "Nên tầm soát dị vật, trào ngược hay dị tật bẩm sinh trước?",
      ("J18.9",), ("viêm phổi tái phát",), ages=(AgeBand.INFANT, AgeBand.CHILD_1_4), durations=CHRONIC),
    S(("paediatrics", "family-medicine", "emergency-medicine"),
      "{who} tiêu chảy cấp mất nước mức độ vừa, bú kém",
      "Tiêu chảy phân toàn nước {dur}, nôn, bú kém.",
      "Chưa uống vắc xin rota; bú mẹ kết hợp ăn dặm.",
      "Quấy khóc, mắt trũng, uống háo hức, nếp véo da mất chậm.",
      "Natri máu 132 mmol/L, đường huyết bình thường.",
      "Bù dịch đường uống theo phác đồ B hay truyền dịch ngay tại {place}?",
      ("A09", "E86"), ("tiêu chảy cấp", "mất nước"), ages=(AgeBand.INFANT, AgeBand.CHILD_1_4)),
    S(("paediatrics", "neurology", "emergency-medicine"),
      "{who} co giật lần đầu khi sốt cao: có cần chọc dịch não tủy?",
      "Co giật toàn thân khoảng hai phút khi sốt 39,5 độ C, sau đó tỉnh.",
      "Phát triển bình thường; anh trai từng co giật khi sốt.",
      "Tỉnh táo, không dấu màng não, thóp phẳng, không dấu thần kinh khu trú.",
      "Công thức máu bình thường, đường huyết bình thường.",
      "Trường hợp này có cần chọc dịch não tủy và điện não đồ không?",
      ("R56.0",), ("co giật do sốt",), ages=(AgeBand.INFANT, AgeBand.CHILD_1_4)),
    S(("neonatology", "paediatrics"),
      "Sơ sinh vàng da ngày thứ 3, bilirubin toàn phần 18 mg/dL: chiếu đèn hay thay máu?",
      "Vàng da lan đến lòng bàn tay từ ngày thứ ba sau sinh, bú kém.",
      "Sinh thường đủ tháng; mẹ nhóm máu O, con nhóm máu A.",
      "Vàng da sáng đến lòng bàn tay bàn chân, không li bì, phản xạ bú yếu.",
      "Bilirubin toàn phần 18 mg/dL, bilirubin gián tiếp chiếm ưu thế; Coombs trực tiếp dương tính.",
      "Ngưỡng thay máu với trẻ có bất đồng nhóm máu ABO là bao nhiêu?",
      ("P55.1", "P59.9"), ("vàng da sơ sinh", "bất đồng nhóm máu"), ages=NEWBORNS),
    S(("neonatology", "paediatrics", "obstetrics-gynaecology"),
      "Sơ sinh non tháng 32 tuần suy hô hấp ngay sau sinh tại {place}",
      "Thở nhanh, rên rỉ, rút lõm ngực ngay sau sinh.",
      "Mẹ chưa được tiêm corticoid trước sinh; ối vỡ sớm.",
      "Tím khi thở khí trời, SpO2 86%, phế âm giảm hai bên.",
      "X-quang phổi dạng kính mờ hai bên; khí máu toan hô hấp.",
      "Có nên bơm surfactant rồi chuyển, hay thở CPAP và chuyển ngay?",
      ("P22.0", "P07.3"), ("sơ sinh non tháng", "suy hô hấp"), ages=NEWBORNS),
    S(("obstetrics-gynaecology",),
      "Thai 34 tuần, huyết áp 160/110 mmHg, protein niệu dương tính: chấm dứt thai kỳ khi nào?",
      "Đau đầu, nhìn mờ {dur}, phù tăng.",
      "Con so; không tăng huyết áp trước mang thai.",
      "Huyết áp 160/110 mmHg, phản xạ gân xương tăng, tim thai bình thường.",
      "Protein niệu 3+, tiểu cầu 95 G/L, men gan tăng nhẹ.",
      "Dùng magie sulfat, hạ áp và corticoid rồi chấm dứt thai kỳ ngay hay chờ 48 giờ?",
      ("O14.1",), ("tiền sản giật", "thai kỳ nguy cơ cao"), ages=CHILDBEARING, sexes=(Sex.FEMALE,)),
    S(("obstetrics-gynaecology", "anaesthesiology", "emergency-medicine"),
      "Băng huyết sau sinh tại {place}: oxytocin không hiệu quả",
      "Chảy máu âm đạo ồ ạt ngay sau sổ rau, ước lượng mất khoảng một lít máu.",
      "Sinh lần thứ tư; chuyển dạ kéo dài.",
      "Tử cung mềm nhão, mạch 120 lần/phút, huyết áp 90/60 mmHg.",
      "Hb 80 g/L; nhóm máu đã có; ngân hàng máu tại chỗ hạn chế.",
      "Sau oxytocin thì dùng thuốc co hồi tử cung nào tiếp và khi nào đặt bóng chèn lòng tử cung?",
      ("O72.1",), ("băng huyết sau sinh",), ages=CHILDBEARING, sexes=(Sex.FEMALE,)),
    S(("obstetrics-gynaecology", "emergency-medicine", "general-surgery"),
      "{who} đau bụng, trễ kinh, ra huyết âm đạo: nghi thai ngoài tử cung",
      "Đau bụng hạ vị {dur}, trễ kinh hai tuần, ra huyết âm đạo ít.",
      "Từng viêm phần phụ; đang đặt dụng cụ tử cung.",
      "Ấn đau hố chậu trái, phản ứng phúc mạc nhẹ, mạch 100 lần/phút.",
      "Beta hCG dương tính; siêu âm không thấy túi thai trong buồng tử cung, có dịch cùng đồ.",
      "Nên mổ nội soi ngay hay có thể điều trị methotrexate?",
      ("O00.1",), ("thai ngoài tử cung",), ages=CHILDBEARING, sexes=(Sex.FEMALE,)),
    S(("general-surgery", "emergency-medicine", "paediatrics"),
      "{who} đau hố chậu phải {dur}, siêu âm không thấy ruột thừa",
      "Đau quanh rốn rồi khu trú hố chậu phải trong {dur}, sốt nhẹ, chán ăn.",
      "Không có tiền sử phẫu thuật ổ bụng.",
      "Ấn đau điểm McBurney, phản ứng thành bụng nhẹ.",
      "Bạch cầu 14 G/L, CRP tăng; siêu âm không quan sát được ruột thừa.",
      "Nên chụp cắt lớp hay theo dõi sát tại {place} và khám lại sau vài giờ?",
      ("K35.8",), ("viêm ruột thừa", "đau bụng cấp"), ages=(AgeBand.CHILD_5_11, AgeBand.ADOLESCENT, *ADULTS)),
    S(("general-surgery", "gastroenterology"),
      "{who} tắc ruột sau mổ cũ: mổ sớm hay điều trị bảo tồn?",
      "Đau bụng quặn từng cơn, nôn, bí trung đại tiện {dur}.",
      "Mổ cắt đại tràng nhiều năm trước.",
      "Bụng chướng, quai ruột nổi, không có phản ứng phúc mạc.",
      "X-quang bụng có nhiều mức nước hơi; bạch cầu bình thường; lactate bình thường.",
      "Điều trị bảo tồn bao lâu thì nên quyết định mổ?",
      ("K56.5",), ("tắc ruột", "dính ruột"), ages=OLDER),
    S(("gastroenterology", "general-surgery", "critical-care"),
      "Viêm tụy cấp do rượu ở {who}: khi nào cần can thiệp?",
      "Đau thượng vị dữ dội lan ra sau lưng {dur} sau bữa nhậu.",
      "Uống rượu nhiều năm; từng viêm tụy một lần.",
      "Bụng chướng, ấn đau thượng vị, nhịp thở 24 lần/phút.",
      "Amylase và lipase tăng cao; cắt lớp có ổ dịch quanh tụy; creatinin tăng nhẹ.",
      "Bù dịch bao nhiêu là đủ và khi nào nghĩ đến nhiễm trùng hoại tử tụy?",
      ("K85.2",), ("viêm tụy cấp",), sexes=(Sex.MALE,)),
    S(("gastroenterology", "internal-medicine", "emergency-medicine"),
      "{who} xơ gan, nôn ra máu: xử trí trước nội soi",
      "Nôn ra máu đỏ tươi {dur}, đi ngoài phân đen.",
      "Xơ gan do viêm gan B, chưa điều trị thường xuyên.",
      "Da niêm nhợt, cổ trướng vừa, mạch 115 lần/phút, huyết áp 90/60 mmHg.",
      "Hb 70 g/L, tiểu cầu 60 G/L, INR 1,8.",
      "Ngoài truyền máu, có nên dùng ngay terlipressin và kháng sinh dự phòng tại {place}?",
      ("I85.1", "K74.6"), ("xuất huyết tiêu hóa", "xơ gan"), ages=OLDER),
    S(("gastroenterology", "infectious-diseases", "family-medicine"),
      "{who} viêm gan B mạn, men gan bình thường: có cần điều trị?",
      "Phát hiện HBsAg dương tính khi khám sức khỏe, không triệu chứng.",
      "Mẹ mắc viêm gan B; chưa từng điều trị.",
      "Khám lâm sàng bình thường.",
      "HBeAg âm tính, HBV DNA 2.000 IU/ml, ALT bình thường, Fibroscan 6 kPa.",
      "Theo dõi hay bắt đầu thuốc kháng virus, và theo dõi định kỳ những gì?",
      ("B18.1",), ("viêm gan B",), durations=CHRONIC),
    S(("nephrology", "internal-medicine", "emergency-medicine"),
      "{who} bệnh thận mạn giai đoạn 4, kali máu 6,2 mmol/L",
      "Mệt, yếu cơ {dur}; tiểu ít hơn.",
      "Bệnh thận mạn do đái tháo đường; đang dùng ức chế men chuyển.",
      "Huyết áp 150/90 mmHg, phù nhẹ.",
      "Kali 6,2 mmol/L, creatinin tăng so với lần trước; điện tim sóng T cao nhọn.",
      "Xử trí cấp cứu tăng kali và có nên ngừng hẳn ức chế men chuyển không?",
      ("N18.4", "E87.5"), ("bệnh thận mạn", "tăng kali máu"), ages=OLDER),
    S(("urology", "general-surgery", "emergency-medicine"),
      "{who} sỏi niệu quản 8 mm gây ứ nước thận độ 2",
      "Đau quặn thận phải {dur}, tiểu buốt.",
      "Từng tán sỏi thận hai lần.",
      "Ấn đau hố thắt lưng phải, sốt 38 độ C.",
      "Siêu âm sỏi niệu quản đoạn trên 8 mm, thận phải ứ nước độ 2; bạch cầu niệu dương tính.",
      "Có nhiễm khuẩn thì dẫn lưu thận trước hay tán sỏi nội soi ngay?",
      ("N20.1", "N13.6"), ("sỏi niệu quản",), durations=SUBACUTE),
    S(("endocrinology", "internal-medicine", "family-medicine"),
      "{who} đái tháo đường type 2, HbA1c 10% dù đã dùng hai thuốc uống: bắt đầu insulin thế nào?",
      "Khát nhiều, tiểu nhiều, sụt cân trong {dur}.",
      "Đái tháo đường type 2; đang dùng metformin và sulfonylurea liều tối đa.",
      "BMI 23, không có biến chứng bàn chân.",
      "HbA1c 10%, đường huyết lúc đói 13 mmol/L, chức năng thận bình thường.",
      "Insulin nền liều bao nhiêu để bắt đầu, và chỉnh liều thế nào khi theo dõi ở {place}?",
      ("E11.65",), ("đái tháo đường", "insulin"), ages=OLDER, durations=CHRONIC),
    S(("endocrinology", "emergency-medicine", "paediatrics", "critical-care"),
      "{who} nhiễm toan ceton do đái tháo đường, lơ mơ",
      "Nôn, đau bụng, thở nhanh sâu {dur}, lơ mơ.",
      "Đái tháo đường type 1, bỏ tiêm insulin vài ngày.",
      "Mất nước nặng, thở Kussmaul, hơi thở mùi ceton.",
      "Đường huyết 28 mmol/L, pH 7,05, bicarbonat 6 mmol/L, ceton máu tăng cao.",
      "Tốc độ bù dịch và insulin truyền tĩnh mạch ra sao để tránh phù não?",
      ("E10.1",), ("nhiễm toan ceton",), ages=(AgeBand.CHILD_5_11, AgeBand.ADOLESCENT, AgeBand.ADULT_18_29)),
    S(("endocrinology", "internal-medicine"),
      "{who} cường giáp, nhịp tim nhanh, bướu giáp lan tỏa",
      "Hồi hộp, run tay, sụt cân {dur}.",
      "Không có bệnh mạn tính; chưa điều trị.",
      "Bướu giáp lan tỏa độ II, lồi mắt nhẹ, mạch 120 lần/phút.",
      "FT4 tăng, TSH giảm thấp, TRAb dương tính.",
      "Chọn thuốc kháng giáp nào và khi nào nghĩ đến iod phóng xạ?",
      ("E05.0",), ("Basedow", "cường giáp"), durations=SUBACUTE, sexes=(Sex.FEMALE,)),
    S(("neurology", "emergency-medicine", "internal-medicine"),
      "{who} yếu nửa người trái khởi phát {dur}: còn trong cửa sổ tiêu huyết khối?",
      "Đột ngột yếu tay chân trái, nói khó, khởi phát cách đây {dur}.",
      "Tăng huyết áp điều trị không đều.",
      "Liệt nửa người trái, liệt mặt trung ương, NIHSS 10 điểm.",
      "Cắt lớp sọ não không thấy xuất huyết; đường huyết bình thường.",
      "Nên dùng thuốc tiêu huyết khối tại chỗ hay chuyển thẳng đến trung tâm lấy huyết khối?",
      ("I63.9",), ("đột quỵ", "tiêu huyết khối"), ages=OLDER, durations=("1 giờ", "2 giờ", "3 giờ")),
    S(("neurology", "neurosurgery", "emergency-medicine"),
      "{who} đau đầu dữ dội đột ngột như sét đánh",
      "Đau đầu dữ dội đột ngột khi gắng sức cách đây {dur}, nôn.",
      "Không có tiền sử đau đầu.",
      "Cổ cứng, Glasgow 14 điểm, không liệt khu trú.",
      "Cắt lớp sọ não có máu trong khoang dưới nhện.",
      "Cần làm gì trong lúc chờ chụp mạch và chuyển phẫu thuật thần kinh?",
      ("I60.9",), ("xuất huyết dưới nhện",), durations=ACUTE),
    S(("neurosurgery", "emergency-medicine", "orthopaedics-traumatology"),
      "{who} chấn thương sọ não, máu tụ ngoài màng cứng thái dương",
      "Ngã xe cách đây {dur}, có khoảng tỉnh, nay lơ mơ.",
      "Không dùng thuốc chống đông.",
      "Glasgow 11 điểm, đồng tử phải giãn nhẹ.",
      "Cắt lớp có máu tụ ngoài màng cứng thái dương phải dày khoảng 15 mm, đè đẩy đường giữa.",
      "Mổ ngay tại {place} hay chuyển đến trung tâm phẫu thuật thần kinh?",
      ("S06.4",), ("chấn thương sọ não", "máu tụ ngoài màng cứng"), ages=(AgeBand.ADOLESCENT, *ADULTS)),
    S(("respiratory-medicine", "internal-medicine", "critical-care"),
      "{who} đợt cấp COPD, SpO2 85% khi thở khí trời",
      "Khó thở tăng, ho khạc đờm đục {dur}.",
      "COPD nhiều năm, hút thuốc lá; dùng thuốc giãn phế quản không đều.",
      "Co kéo cơ hô hấp phụ, ran rít ran ngáy hai phổi, SpO2 85%.",
      "Khí máu pH 7,30, PaCO2 60 mmHg; X-quang không thấy tràn khí màng phổi.",
      "Thở máy không xâm nhập tại {place} có an toàn không, đích SpO2 bao nhiêu?",
      ("J44.1",), ("COPD", "suy hô hấp"), ages=OLDER, sexes=(Sex.MALE,)),
    S(("tuberculosis-lung-diseases", "respiratory-medicine", "infectious-diseases"),
      "{who} ho kéo dài, X-quang có hang đỉnh phổi, AFB đờm âm tính",
      "Ho khạc đờm {dur}, sốt về chiều, sụt cân.",
      "Từng tiếp xúc với người mắc lao trong gia đình.",
      "Ran nổ đỉnh phổi phải.",
      "X-quang có hang ở đỉnh phổi phải; AFB đờm hai mẫu âm tính; chưa làm Xpert.",
      "Có nên điều trị lao ngay theo lâm sàng hay chờ Xpert MTB/RIF?",
      ("A16.0",), ("lao phổi",), durations=SUBACUTE),
    S(("tuberculosis-lung-diseases", "respiratory-medicine", "internal-medicine"),
      "{who} tràn dịch màng phổi dịch tiết, ADA tăng",
      "Đau ngực, khó thở tăng dần {dur}, sốt nhẹ.",
      "Không có bệnh nền.",
      "Hội chứng ba giảm đáy phổi trái.",
      "Dịch màng phổi dịch tiết, tế bào lympho ưu thế, ADA tăng cao; chưa có kết quả sinh thiết.",
      "Chẩn đoán lao màng phổi đủ để bắt đầu điều trị chưa?",
      ("A15.6", "J91.8"), ("tràn dịch màng phổi", "lao màng phổi"), durations=SUBACUTE),
    S(("oncology", "gastroenterology"),
      "{who} ung thư biểu mô tế bào gan có huyết khối tĩnh mạch cửa: lựa chọn điều trị",
      "Đau hạ sườn phải, mệt mỏi {dur}.",
      "Viêm gan B mạn, xơ gan Child-Pugh A.",
      "Gan to, không cổ trướng, thể trạng ECOG 1.",
      "Cắt lớp khối u gan phải 7 cm, huyết khối nhánh phải tĩnh mạch cửa; AFP tăng cao.",
      "Điều trị toàn thân hay kết hợp xạ trị, và bảo hiểm chi trả phác đồ nào?",
      ("C22.0",), ("ung thư gan",), ages=OLDER, durations=SUBACUTE, sexes=(Sex.MALE,)),
    S(("oncology", "general-surgery"),
      "{who} ung thư vú HER2 dương tính giai đoạn II: điều trị tân bổ trợ?",
      "Tự sờ thấy khối ở vú phải {dur}.",
      "Không có người thân mắc ung thư vú.",
      "Khối 3 cm, di động, hạch nách cùng bên sờ thấy.",
      "Sinh thiết ung thư biểu mô xâm nhập, HER2 dương tính, thụ thể nội tiết âm tính.",
      "Có nên hóa trị tân bổ trợ kèm thuốc kháng HER2 trước phẫu thuật?",
      ("C50.9",), ("ung thư vú",), ages=(AgeBand.ADULT_30_44, AgeBand.ADULT_45_59), durations=SUBACUTE,
      sexes=(Sex.FEMALE,)),
    S(("haematology", "paediatrics", "internal-medicine"),
      "{who} thiếu máu nặng hồng cầu nhỏ nhược sắc: thiếu sắt hay thalassemia?",
      "Mệt, da xanh, ăn kém {dur}.",
      "Người thân có người phải truyền máu định kỳ.",
      "Da xanh, lách to độ II, vàng da nhẹ.",
      "Hb 65 g/L, MCV 62 fL, ferritin tăng; chưa điện di huyết sắc tố.",
      "Có nên truyền máu ngay và tầm soát thalassemia cho gia đình thế nào?",
      ("D56.9", "D50.9"), ("thiếu máu", "thalassemia"), ages=(*CHILDREN, AgeBand.ADULT_18_29),
      durations=CHRONIC),
    S(("rheumatology", "internal-medicine", "family-medicine"),
      "{who} viêm khớp gối cấp, acid uric máu tăng",
      "Sưng nóng đỏ đau khớp gối phải {dur} sau bữa ăn nhiều đạm.",
      "Từng có cơn đau khớp ngón chân cái.",
      "Khớp gối phải sưng nóng, tràn dịch, hạn chế vận động.",
      "Acid uric máu tăng, CRP tăng; chưa chọc dịch khớp.",
      "Có cần chọc dịch khớp loại trừ nhiễm khuẩn trước khi dùng colchicin?",
      ("M10.0",), ("gút", "viêm khớp"), ages=OLDER, sexes=(Sex.MALE,)),
    S(("rheumatology", "nephrology"),
      "{who} lupus ban đỏ hệ thống, protein niệu tăng dần",
      "Phù mặt và hai chân, nổi ban ở mặt {dur}.",
      "Được chẩn đoán lupus, điều trị hydroxychloroquine không đều.",
      "Ban cánh bướm, phù, huyết áp 150/90 mmHg.",
      "Protein niệu 3 g/24 giờ, bổ thể giảm, anti-dsDNA tăng.",
      "Có cần sinh thiết thận trước khi điều trị tấn công không?",
      ("M32.1",), ("lupus", "viêm thận lupus"), ages=CHILDBEARING, durations=SUBACUTE, sexes=(Sex.FEMALE,)),
    S(("allergy-immunology", "emergency-medicine", "anaesthesiology"),
      "{who} phản vệ sau tiêm kháng sinh tại {place}",
      "Vài phút sau tiêm kháng sinh: khó thở, nổi mày đay, choáng váng.",
      "Chưa từng dị ứng thuốc.",
      "Huyết áp 70/40 mmHg, khò khè, mày đay toàn thân.",
      "Đã tiêm bắp adrenalin một liều, huyết áp chưa cải thiện.",
      "Khi nào truyền adrenalin tĩnh mạch và theo dõi bao lâu sau khi ổn định?",
      ("T88.6",), ("phản vệ",), ages=EVERYONE),
    S(("dermatology", "allergy-immunology", "internal-medicine"),
      "{who} ban đỏ bọng nước lan rộng sau dùng thuốc: nghi hội chứng Stevens-Johnson",
      "Sốt, ban đỏ, bọng nước lan nhanh {dur} sau khi bắt đầu thuốc chống động kinh.",
      "Mới dùng carbamazepin.",
      "Bọng nước và trợt da khoảng 15% diện tích cơ thể, loét niêm mạc miệng và mắt.",
      "Men gan tăng nhẹ, bạch cầu ái toan tăng.",
      "Ngừng thuốc rồi điều trị hỗ trợ tại {place} hay chuyển ngay đến đơn vị bỏng?",
      ("L51.1",), ("dị ứng thuốc", "Stevens-Johnson"), durations=SUBACUTE),
    S(("ophthalmology", "emergency-medicine"),
      "{who} mắt đỏ, đau nhức, nhìn mờ đột ngột: nghi glôcôm góc đóng cấp",
      "Đau nhức mắt trái dữ dội, nhìn mờ, nhức đầu, nôn {dur}.",
      "Viễn thị; vừa dùng thuốc cảm có chất kháng histamin.",
      "Giác mạc phù, tiền phòng nông, đồng tử giãn méo, mắt cứng như đá.",
      "Nhãn áp 50 mmHg.",
      "Hạ nhãn áp thế nào tại {place} trong lúc chờ laser mống mắt?",
      ("H40.2",), ("glôcôm góc đóng",), ages=OLDER),
    S(("otorhinolaryngology", "paediatrics", "emergency-medicine"),
      "{who} nghi dị vật đường thở: ho sặc đột ngột khi ăn",
      "Ho sặc sụa đột ngột khi đang ăn lạc cách đây {dur}, sau đó thở khò khè.",
      "Không có tiền sử hen.",
      "Rì rào phế nang giảm phổi phải, không tím.",
      "X-quang phổi phải ứ khí.",
      "Nội soi phế quản ống cứng ở đâu và chuẩn bị gì khi chuyển?",
      ("T17.5",), ("dị vật đường thở",), ages=(AgeBand.CHILD_1_4, AgeBand.CHILD_5_11), durations=ACUTE),
    S(("otorhinolaryngology", "oncology"),
      "{who} chảy máu mũi tái diễn một bên, nghẹt mũi",
      "Chảy máu mũi trái nhiều lần trong {dur}, ù tai.",
      "Hút thuốc lá; không dùng thuốc chống đông.",
      "Nổi hạch cổ trái, không đau.",
      "Nội soi có khối sùi vòm họng; đang chờ sinh thiết.",
      "Trong lúc chờ giải phẫu bệnh cần làm thêm những gì để xếp giai đoạn?",
      ("R04.0", "C11.9"), ("chảy máu mũi", "ung thư vòm"), durations=SUBACUTE),
    S(("odonto-stomatology", "general-surgery", "infectious-diseases"),
      "{who} viêm mô tế bào vùng hàm dưới do răng, há miệng hạn chế",
      "Sưng đau vùng hàm dưới phải {dur}, sốt, khó nuốt.",
      "Răng hàm lớn bị sâu lâu ngày.",
      "Sưng nề cứng vùng dưới hàm, há miệng hạn chế, sàn miệng nề.",
      "Bạch cầu tăng cao; chưa chụp cắt lớp.",
      "Dấu hiệu nào gợi ý viêm tấy sàn miệng cần mở thông đường thở?",
      ("K12.2",), ("nhiễm trùng do răng",), durations=SUBACUTE),
    S(("orthopaedics-traumatology", "geriatrics", "rehabilitation"),
      "{who} gãy kín cổ xương đùi sau ngã: mổ hay điều trị bảo tồn?",
      "Ngã tại nhà {dur}, đau háng phải, không đứng dậy được.",
      "Loãng xương; suy tim mức độ nhẹ.",
      "Chân phải ngắn, xoay ngoài.",
      "X-quang gãy cổ xương đùi phải di lệch.",
      "Thay khớp háng hay điều trị bảo tồn khi nguy cơ gây mê cao?",
      ("S72.0",), ("gãy cổ xương đùi", "người cao tuổi"), ages=(AgeBand.ADULT_75_PLUS,)),
    S(("cardiothoracic-surgery", "respiratory-medicine", "emergency-medicine"),
      "{who} tràn khí màng phổi tự phát tái phát lần hai",
      "Đau ngực đột ngột, khó thở {dur}.",
      "Tràn khí màng phổi cùng bên cách đây một năm, đã dẫn lưu.",
      "Gõ vang, rì rào phế nang mất bên phải.",
      "X-quang tràn khí màng phổi phải lượng nhiều.",
      "Phẫu thuật nội soi ngay lần này hay dẫn lưu trước?",
      ("J93.1",), ("tràn khí màng phổi",), ages=(AgeBand.ADOLESCENT, AgeBand.ADULT_18_29),
      sexes=(Sex.MALE,)),
    S(("anaesthesiology", "critical-care", "general-surgery"),
      "Gây mê mổ cấp cứu cho {who} có đường thở khó dự kiến",
      "Cần mổ cấp cứu bụng trong vài giờ tới.",
      "Béo phì, ngưng thở khi ngủ; từng đặt nội khí quản khó.",
      "Mallampati độ IV, cổ ngắn, há miệng hạn chế.",
      "Tại {place} có ống soi video nhưng chưa có ống soi mềm.",
      "Chiến lược đặt nội khí quản tỉnh hay khởi mê nhanh có chuẩn bị mở màng nhẫn giáp?",
      ("Z91.8",), ("đường thở khó", "gây mê"), ages=ADULTS),
    S(("critical-care", "infectious-diseases", "emergency-medicine", "internal-medicine"),
      "{who} sốc nhiễm khuẩn, lactate còn 5 mmol/L sau bù dịch",
      "Sốt cao, rét run, tụt huyết áp {dur}.",
      "Đái tháo đường; nhiễm khuẩn tiết niệu tái phát.",
      "Huyết áp 80/45 mmHg dù đã bù 30 ml/kg dịch tinh thể, chi lạnh.",
      "Lactate 5 mmol/L, procalcitonin tăng cao; cấy máu đang chờ.",
      "Nâng noradrenalin tới liều nào thì thêm vasopressin hay corticoid?",
      ("A41.9", "R65.2"), ("sốc nhiễm khuẩn",), ages=OLDER),
    S(("geriatrics", "family-medicine", "internal-medicine"),
      "{who} ngã nhiều lần, đang dùng chín loại thuốc",
      "Ngã ba lần trong {dur}, chóng mặt khi đứng dậy.",
      "Tăng huyết áp, đái tháo đường, mất ngủ; được kê đơn ở nhiều nơi.",
      "Hạ huyết áp tư thế, đi lại chậm, thị lực kém.",
      "Đường huyết có lúc hạ; natri bình thường.",
      "Nên ngừng hoặc giảm thuốc nào trước?",
      ("R29.6", "Z91.8"), ("người cao tuổi", "đa thuốc"), ages=(AgeBand.ADULT_75_PLUS,), durations=CHRONIC),
    S(("psychiatry", "obstetrics-gynaecology", "family-medicine"),
      "{who} trầm cảm sau sinh có ý tưởng tự sát",
      "Buồn chán, mất ngủ, không muốn chăm con {dur} sau sinh, có lúc nói muốn chết.",
      "Chưa từng điều trị tâm thần; đang cho con bú.",
      "Khí sắc trầm, chậm chạp, không có hoang tưởng.",
      "Thang điểm trầm cảm sau sinh cao; xét nghiệm tuyến giáp bình thường.",
      "Chọn thuốc chống trầm cảm nào an toàn khi cho con bú và có cần nhập viện?",
      ("F53.0",), ("trầm cảm sau sinh",), ages=CHILDBEARING, durations=SUBACUTE, sexes=(Sex.FEMALE,)),
    S(("psychiatry", "internal-medicine", "emergency-medicine"),
      "{who} sảng rượu ngày thứ hai sau nhập viện",
      "Kích động, run, ảo thị {dur} sau khi ngừng uống rượu.",
      "Uống rượu nhiều năm; nhập viện vì gãy xương.",
      "Vã mồ hôi, mạch 120 lần/phút, mất định hướng.",
      "Men gan tăng, kali và magie máu thấp.",
      "Liều benzodiazepin và bổ sung thiamin thế nào tại {place}?",
      ("F10.4",), ("sảng rượu",), sexes=(Sex.MALE,), durations=("1 ngày", "2 ngày", "3 ngày")),
    S(("family-medicine", "internal-medicine", "preventive-medicine"),
      "{who} tăng huyết áp mới phát hiện tại {place}: bắt đầu thuốc nào?",
      "Phát hiện huyết áp 160/95 mmHg qua hai lần khám trong {dur}.",
      "Không có bệnh nền; hút thuốc lá; ăn mặn.",
      "BMI 25, khám tim phổi bình thường.",
      "Đường huyết, lipid máu, creatinin trong giới hạn bình thường; điện tim bình thường.",
      "Khởi đầu một thuốc hay phối hợp hai thuốc, và hẹn tái khám sau bao lâu?",
      ("I10",), ("tăng huyết áp", "quản lý bệnh mạn tính"), ages=OLDER, durations=SUBACUTE),
    S(("family-medicine", "orthopaedics-traumatology", "rehabilitation", "rheumatology"),
      "{who} đau thắt lưng {dur}: có dấu hiệu cờ đỏ nào không?",
      "Đau thắt lưng lan xuống chân phải trong {dur}.",
      "Làm nông, mang vác nặng.",
      "Lasègue dương tính bên phải ở 45 độ, không rối loạn cơ tròn.",
      "Chưa làm chẩn đoán hình ảnh.",
      "Khi nào cần chụp cộng hưởng từ và chuyển chuyên khoa?",
      ("M54.5", "M51.1"), ("đau thắt lưng",), durations=SUBACUTE),
    S(("traditional-medicine", "neurology", "rehabilitation"),
      "{who} liệt dây VII ngoại biên: phối hợp châm cứu và thuốc",
      "Méo miệng, nhắm mắt không kín bên phải {dur}.",
      "Bị lạnh trước khi khởi phát; không có bệnh nền.",
      "Liệt mặt ngoại biên phải, Charles Bell dương tính.",
      "Không có dấu hiệu thần kinh khác.",
      "Có nên phối hợp corticoid với điện châm ngay trong tuần đầu?",
      ("G51.0",), ("liệt dây VII", "châm cứu"), durations=("1 ngày", "3 ngày", "1 tuần")),
    S(("traditional-medicine", "rehabilitation", "family-medicine"),
      "{who} đau vai gáy: kết hợp điện châm và xoa bóp bấm huyệt",
      "Đau cứng vai gáy, hạn chế xoay cổ {dur}.",
      "Làm việc văn phòng nhiều giờ.",
      "Co cứng cơ thang hai bên, không rối loạn cảm giác tay.",
      "X-quang cột sống cổ thoái hóa nhẹ.",
      "Liệu trình điện châm bao nhiêu buổi là hợp lý?",
      ("M54.2",), ("đau vai gáy", "y học cổ truyền"), durations=SUBACUTE),
    S(("diagnostic-imaging", "respiratory-medicine", "oncology"),
      "Nốt phổi đơn độc 9 mm trên cắt lớp ở {who} hút thuốc lá",
      "Phát hiện tình cờ khi chụp cắt lớp kiểm tra.",
      "Hút thuốc lá lâu năm.",
      "Không triệu chứng hô hấp.",
      "Nốt đặc 9 mm thùy trên phổi phải, bờ tua gai.",
      "Theo dõi bằng cắt lớp liều thấp hay sinh thiết ngay?",
      ("R91.1",), ("nốt phổi", "tầm soát ung thư phổi"), ages=OLDER),
    S(("pathology", "gastroenterology", "oncology"),
      "Sinh thiết dạ dày ở {who}: loạn sản độ cao hay ung thư biểu mô tuyến?",
      "Đau thượng vị, đầy bụng {dur}.",
      "Nhiễm vi khuẩn HP chưa tiệt trừ.",
      "Nội soi thấy ổ loét bờ không đều ở bờ cong nhỏ.",
      "Mảnh sinh thiết nhỏ, loạn sản độ cao, nghi xâm nhập; chưa nhuộm hóa mô miễn dịch.",
      "Có nên đề nghị sinh thiết lại trước khi kết luận?",
      ("K31.8", "C16.9"), ("giải phẫu bệnh", "ung thư dạ dày"), ages=OLDER, durations=SUBACUTE),
    S(("laboratory-medicine", "internal-medicine", "nephrology"),
      "{who} kali máu 6,8 mmol/L nhưng điện tim bình thường: có phải do tan máu mẫu?",
      "Phát hiện tăng kali khi xét nghiệm định kỳ, không triệu chứng.",
      "Không dùng thuốc giữ kali.",
      "Khám bình thường.",
      "Mẫu ghi nhận tan máu nhẹ; tiểu cầu tăng cao.",
      "Nên lấy lại mẫu thế nào và có cần đo kali huyết tương?",
      ("E87.5", "R79.8"), ("xét nghiệm", "tăng kali giả"), ages=OLDER),
    S(("nuclear-medicine", "endocrinology", "oncology"),
      "{who} ung thư tuyến giáp thể nhú sau mổ: liều I-131 bổ trợ",
      "Đã cắt toàn bộ tuyến giáp cách đây {dur}.",
      "Không có bệnh nền.",
      "Sẹo mổ liền tốt, không sờ thấy hạch cổ.",
      "Giải phẫu bệnh ung thư thể nhú 2 cm, di căn hai hạch trung tâm; thyroglobulin sau mổ tăng nhẹ.",
      "Liều I-131 bổ trợ bao nhiêu là phù hợp?",
      ("C73",), ("ung thư tuyến giáp", "I-131"), ages=ADULTS, durations=("1 tháng", "6 tuần", "2 tháng")),
    S(("rehabilitation", "neurology", "geriatrics"),
      "Phục hồi chức năng sau đột quỵ cho {who} liệt nửa người phải",
      "Liệt nửa người phải sau nhồi máu não {dur}, đi lại cần người đỡ.",
      "Tăng huyết áp, đái tháo đường.",
      "Sức cơ tay chân phải 3/5, co cứng nhẹ, nói khó.",
      "Barthel 45 điểm.",
      "Chương trình tập tại nhà nào phù hợp khi ở xa cơ sở phục hồi chức năng?",
      ("I69.3",), ("phục hồi chức năng", "đột quỵ"), ages=OLDER, durations=CHRONIC),
    S(("preventive-medicine", "infectious-diseases", "paediatrics"),
      "Chùm ca sởi ở trẻ {ages} tuổi trong cùng một điểm trường: khoanh vùng ổ dịch",
      "Nhiều trẻ sốt, phát ban, viêm kết mạc trong {dur}.",
      "Tỷ lệ tiêm đủ hai mũi vắc xin sởi trong địa bàn thấp.",
      "Ban dát sẩn từ sau tai lan xuống thân.",
      "Hai mẫu huyết thanh IgM sởi dương tính.",
      "Tiêm vét cho những nhóm nào và cách ly trẻ mắc bao lâu?",
      ("B05.9",), ("sởi", "dịch tễ"), ages=(AgeBand.CHILD_5_11,), durations=SUBACUTE),
)  # fmt: skip

OPENERS = ("", "Theo em, ", "Theo kinh nghiệm của tôi, ", "Em đồng ý với anh chị ở trên: ", "Góp ý thêm: ")
REMARKS = (
    "nên làm lại xét nghiệm sau 6 giờ để theo dõi diễn tiến.",
    "cần loại trừ nguyên nhân nhiễm khuẩn trước khi dùng corticoid.",
    "ca này nên hội chẩn chuyên khoa sớm, đừng chờ kết quả cuối cùng.",
    "phác đồ của Bộ Y tế có hướng dẫn khá rõ cho tình huống này.",
    "bên em thường chuyển tuyến khi lâm sàng không cải thiện sau 24 giờ.",
    "điện tim và siêu âm tại giường giúp quyết định nhanh hơn.",
    "nên hỏi kỹ tiền sử dùng thuốc, nhiều ca tương tự do tương tác thuốc.",
    "chỉ số này chưa đủ để kết luận, cần thêm hình ảnh học.",
    "em từng gặp ca gần giống, kết quả cuối cùng là một bệnh hiếm.",
    "theo dõi sát nước tiểu và ý thức là quan trọng nhất lúc này.",
    "có thể điều trị ngoại trú nếu người nhà theo dõi được và tái khám đúng hẹn.",
    "nên giải thích rõ nguy cơ cho người nhà trước khi quyết định.",
    "liều thuốc cần chỉnh theo chức năng thận.",
    "nếu tuyến dưới không có thuốc thì chuyển ngay, đừng chờ.",
    "cần tầm soát thêm cho người sống cùng nhà.",
    "hội chứng này dễ bỏ sót ở tuyến cơ sở, cảm ơn anh chị đã chia sẻ.",
)
CLOSERS = (
    "",
    " Chúc ca bệnh tiến triển tốt.",
    " Anh chị cập nhật kết quả giúp nhé.",
    " Tài liệu tham khảo em gửi sau.",
)
REPLIES = (
    "Cảm ơn anh chị, em sẽ làm thêm xét nghiệm như góp ý.",
    "Dạ, bên em đã chuyển tuyến, sẽ cập nhật kết quả.",
    "Ý kiến rất hữu ích, em xin phép áp dụng.",
    "Em chưa rõ chỗ này, anh chị giải thích thêm giúp em?",
    "Kết quả xét nghiệm lại đã cải thiện, cảm ơn mọi người.",
    "Đồng ý, bên tôi cũng làm như vậy.",
)
PLACES = {
    Tier.CENTRAL: "bệnh viện tuyến trung ương",
    Tier.PROVINCIAL: "bệnh viện tuyến tỉnh",
    Tier.DISTRICT: "trung tâm y tế khu vực",
    Tier.COMMUNE: "trạm y tế xã",
}
MODERATION_REASON = "Nội dung có thể nhận diện người bệnh."


def who(age_band: str, sex: str) -> str:
    """An age band and sex as a title begins ("Nam 45-59 tuổi", "Sơ sinh nữ"), never an exact age."""
    female = sex == Sex.FEMALE
    if age_band == AgeBand.NEWBORN:
        return "Sơ sinh nữ" if female else "Sơ sinh nam"
    if age_band == AgeBand.INFANT:
        return ("Bé gái" if female else "Bé trai") + " 1-11 tháng"
    if age_band in (AgeBand.CHILD_1_4, AgeBand.CHILD_5_11, AgeBand.ADOLESCENT):
        return ("Trẻ gái" if female else "Trẻ trai") + f" {age_band} tuổi"
    band = "từ 75 tuổi" if age_band == AgeBand.ADULT_75_PLUS else f"{age_band} tuổi"
    return ("Nữ" if female else "Nam") + f" {band}"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class DraftCase:
    title: str
    age_band: str
    sex: str
    presenting_problem: str
    history: str
    findings: str
    investigations: str
    question: str
    icd10_codes: list[str]
    tags: list[str]


def draw_case(rng: random.Random, scenario: Scenario, tier: str) -> DraftCase:
    age_band = rng.choice(scenario.ages)
    sex = rng.choice(scenario.sexes)
    slots = {
        "who": who(age_band, sex),
        "dur": rng.choice(scenario.durations),
        "place": PLACES[Tier(tier)],
        "ages": age_band,
    }
    # A title starts with "{who}" or mentions it mid-sentence ("... ở nam 45-59 tuổi").
    inner = {**slots, "who": lower_first(slots["who"])}
    title = scenario.title.format(**(slots if scenario.title.startswith("{who}") else inner))
    return DraftCase(
        title=title[:200],
        age_band=str(age_band),
        sex=str(sex),
        presenting_problem=scenario.problem.format(**slots),
        history=scenario.history.format(**slots),
        findings=scenario.findings.format(**slots),
        investigations=scenario.investigations.format(**slots),
        question=scenario.question.format(**slots),
        icd10_codes=list(scenario.icd10),
        tags=list(scenario.tags),
    )


def draw_comment(rng: random.Random, reply: bool) -> str:
    if reply and rng.random() < 0.6:
        return rng.choice(REPLIES)
    opener, remark = rng.choice(OPENERS), rng.choice(REMARKS)
    sentence = opener + remark if opener else remark[:1].upper() + remark[1:]
    return sentence + rng.choice(CLOSERS)


# --- Who takes part --------------------------------------------------------------------------


@dataclass
class Members:
    """The doctors who take part, by index (0..n-1), and the pools peers are drawn from."""

    ids: list[int]
    province: list[int]
    tier: list[str]
    specialties: list[tuple[int, ...]]
    joined: list[datetime]
    total_doctors: int  # every synthetic doctor, members or not (the data set's size)
    by_specialty: dict[int, list[int]] = field(default_factory=dict)
    by_province: dict[int, list[int]] = field(default_factory=dict)
    by_province_specialty: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    peers: list[list[int]] = field(default_factory=list)  # filled by the connections step

    def __len__(self) -> int:
        return len(self.ids)


def load_members() -> Members:
    """The synthetic doctors who are or were verified, in the order they were made."""
    doctors = country_module().synthetic_users().filter(facility__isnull=False)
    rows = list(
        doctors.filter(verification_status__in=MEMBER_STATUSES)
        .order_by("id")
        .values_list("id", "facility__province_id", "facility__tier", "date_joined")
    )
    links: dict[int, list[int]] = {}
    for user_id, specialty_id in (
        User.specialties.through.objects.filter(user__in=doctors)
        .order_by("user_id", "id")
        .values_list("user_id", "specialty_id")
    ):
        links.setdefault(user_id, []).append(specialty_id)
    members = Members(
        ids=[row[0] for row in rows],
        province=[row[1] for row in rows],
        tier=[row[2] for row in rows],
        specialties=[tuple(links.get(row[0], ())) for row in rows],
        joined=[row[3] for row in rows],
        total_doctors=doctors.count(),
    )
    for index, (province, specialties) in enumerate(zip(members.province, members.specialties, strict=True)):
        members.by_province.setdefault(province, []).append(index)
        for specialty in specialties:
            members.by_specialty.setdefault(specialty, []).append(index)
            members.by_province_specialty.setdefault((province, specialty), []).append(index)
    members.peers = [[] for _ in rows]
    return members


class NetworkRun:
    """What the network steps of one run share: the members and who is connected to whom.

    The pipeline's step objects live as long as the process; the state is rebuilt whenever
    they are given another run's context."""

    def __init__(self) -> None:
        self._ctx: SeedContext | None = None
        self._members: Members | None = None

    def members(self, ctx: SeedContext) -> Members:
        if self._ctx is not ctx or self._members is None:
            self._ctx, self._members = ctx, load_members()
        return self._members

    def forget(self) -> None:
        """Let go of the run's data (hundreds of megabytes at country scale)."""
        self._ctx, self._members = None, None


def _spread(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment between ``start`` and ``end``, later ones likelier (the network grows)."""
    if end <= start:
        return end
    return start + (end - start) * (rng.random() ** 0.7)


# --- Steps ---------------------------------------------------------------------------------------


class ConnectionsStep:
    """Mutual connections, two rows per pair, ~30 per doctor on average: mostly colleagues of
    the same province and specialty; a few sociable doctors have many more."""

    name = "connections"
    writes: ClassVar[tuple[type[Model], ...]] = (Connection,)

    def __init__(self, run: NetworkRun, per_doctor: int = CONNECTIONS_PER_DOCTOR) -> None:
        self.run_state, self.per_doctor = run, per_doctor

    def run(self, ctx: SeedContext) -> None:
        copy_rows = country_module().copy_rows
        rng = ctx.rng(self.name)
        members = self.run_state.members(ctx)
        n = len(members)
        if n < 2:
            return
        # Sociability: a heavy tail, so some doctors gather hundreds of connections.
        sociability = list(accumulate(rng.lognormvariate(0, 0.9) for _ in range(n)))
        everyone = range(n)
        cumulative = list(accumulate(share for _, share in PEER_POOLS))
        wanted = members.total_doctors * self.per_doctor // 2
        pairs: set[int] = set()
        attempts = 0
        while len(pairs) < wanted and attempts < wanted * 4:
            attempts += 1
            a = rng.choices(everyone, cum_weights=sociability)[0]
            pool = self._pool(rng, members, a, PEER_POOLS[_pick(rng, cumulative)][0])
            if not pool:
                continue
            b = pool[rng.randrange(len(pool))]
            if a == b:
                continue
            pairs.add(a * n + b if a < b else b * n + a)
        for key in pairs:
            a, b = divmod(key, n)
            members.peers[a].append(b)
            members.peers[b].append(a)
        for peers in members.peers:
            peers.sort()  # later steps draw from these lists: their order must not depend on the set's
        end = ctx.midnight(ctx.parameters.as_of)

        def rows(doctors: range) -> Iterator[dict[str, Any]]:
            for a in doctors:
                for b in members.peers[a]:
                    low, high = (a, b) if a < b else (b, a)
                    start = max(members.joined[low], members.joined[high])
                    yield {
                        "doctor_id": members.ids[a],
                        "peer_id": members.ids[b],
                        # Both rows of a pair carry the same moment, derived from the pair.
                        "created_at": start + (end - start) * _unit(low * n + high, ctx.parameters.seed),
                    }

        count = 0
        with checked_per_statement():
            for start in range(0, n, CONNECTION_CHUNK):
                count += copy_rows(Connection, rows(range(start, min(n, start + CONNECTION_CHUNK))))
        ctx.log(f"  connections: {count // 2} pairs ({count} rows) among {n} doctors")

    @staticmethod
    def _pool(rng: random.Random, members: Members, a: int, kind: str) -> list[int]:
        specialties = members.specialties[a]
        province = members.province[a]
        if kind == "province_specialty" and specialties:
            return members.by_province_specialty[(province, specialties[0])]
        if kind == "neighbour" and specialties:
            near = sorted(neighbouring_provinces(province))
            if near:
                return members.by_province_specialty.get((rng.choice(near), specialties[0]), [])
        if kind == "specialty" and specialties:
            return members.by_specialty[rng.choice(specialties)]
        return members.by_province[province]

    def delete(self, ctx: SeedContext) -> None:
        country = country_module()
        users = country.synthetic_users()
        # One statement per side: an OR of two large IN lists cannot be planned as a join.
        country.delete_rows(Connection.objects.filter(doctor__in=users))
        country.delete_rows(Connection.objects.filter(peer__in=users))


class SpecialtyFollowsStep:
    """Most doctors follow their own specialty; some follow one or two more."""

    name = "specialty follows"
    writes: ClassVar[tuple[type[Model], ...]] = (SpecialtyFollow,)

    def __init__(self, run: NetworkRun) -> None:
        self.run_state = run

    def run(self, ctx: SeedContext) -> None:
        copy_rows = country_module().copy_rows
        rng = ctx.rng(self.name)
        members = self.run_state.members(ctx)
        catalogue = sorted(members.by_specialty)  # weighted by how many doctors practise each
        weights = list(accumulate(len(members.by_specialty[s]) for s in catalogue))
        end = ctx.midnight(ctx.parameters.as_of)

        def rows() -> Iterator[dict[str, Any]]:
            for index, doctor_id in enumerate(members.ids):
                followed: list[int] = []
                for rank, specialty in enumerate(members.specialties[index]):
                    if rng.random() < (0.75 if rank == 0 else 0.35):
                        followed.append(specialty)
                for _ in range(rng.choices((0, 1, 2), (50, 35, 15))[0]):
                    specialty = rng.choices(catalogue, cum_weights=weights)[0]
                    if specialty not in followed:
                        followed.append(specialty)
                for specialty in followed:
                    yield {
                        "doctor_id": doctor_id,
                        "specialty_id": specialty,
                        "created_at": _spread(rng, members.joined[index], end),
                    }

        with checked_per_statement():
            count = copy_rows(SpecialtyFollow, rows()) if catalogue else 0
        ctx.log(f"  specialty follows: {count}")

    def delete(self, ctx: SeedContext) -> None:
        country = country_module()
        country.delete_rows(SpecialtyFollow.objects.filter(doctor__in=country.synthetic_users()))


class CasesStep:
    """Published cases (~5 per doctor, a few prolific authors) over the last two years, with
    their named audiences and their discussion (~3 comments per case, a third of them replies);
    some cases have an accepted answer, a few were deleted or hidden by a moderator."""

    name = "cases"
    writes: ClassVar[tuple[type[Model], ...]] = (Case, CaseAudience, Comment)

    def __init__(
        self,
        run: NetworkRun,
        per_doctor: float = CASES_PER_DOCTOR,
        comments_per_case: float = COMMENTS_PER_CASE,
    ) -> None:
        self.run_state, self.per_doctor, self.comments_per_case = run, per_doctor, comments_per_case

    def run(self, ctx: SeedContext) -> None:
        members = self.run_state.members(ctx)
        self.run_state.forget()  # the last step to read it: freed when this one ends
        total = round(members.total_doctors * self.per_doctor)
        if len(members) == 0 or total == 0:
            return
        plan = _CasePlan(
            ctx.rng(self.name), members, ctx.midnight(ctx.parameters.as_of), self.comments_per_case
        )
        # A case and its accepted answer point at each other: that one link is checked at commit.
        with checked_per_statement(deferred=(Case, "accepted_answer")):
            written = self._write(ctx, plan, total)
        ctx.log(
            f"  cases: {written['cases']} cases, {written['audience']} named-audience rows, "
            f"{written['comments']} comments"
        )

    @staticmethod
    def _write(ctx: SeedContext, plan: _CasePlan, total: int) -> dict[str, int]:
        country = country_module()
        written = {"cases": 0, "audience": 0, "comments": 0}
        started = time.perf_counter()
        for chunk_start in range(0, total, CHUNK):
            size = min(CHUNK, total - chunk_start)
            cases, audience, comments = plan.chunk(country.reserve_ids(Case, size))
            # Comments get their ids once the chunk is drawn: one round trip, not one per case.
            for comment, pk in zip(comments, country.reserve_ids(Comment, len(comments)), strict=True):
                comment["id"] = pk
            for comment in comments:
                parent = comment.pop("parent")
                comment["parent_id"] = parent["id"] if parent is not None else None
            for case in cases:
                accepted = case.pop("accepted")
                case["accepted_answer_id"] = accepted["id"] if accepted is not None else None
            written["cases"] += country.copy_rows(Case, cases)
            written["audience"] += country.copy_rows(CaseAudience, audience)
            written["comments"] += country.copy_rows(Comment, comments)
            done = chunk_start + size
            if done % (CHUNK * 10) == 0:
                ctx.log(f"    {done} cases ({time.perf_counter() - started:.0f} s)")
        return written

    def delete(self, ctx: SeedContext) -> None:
        country = country_module()
        users = country.synthetic_users()
        cases = Case.objects.filter(author__in=users)
        # Cases and their accepted answers point at each other: cut that link first.
        cases.filter(accepted_answer__isnull=False).update(accepted_answer=None)
        # One statement per condition: an OR of two large IN lists cannot be planned as a join.
        country.delete_rows(Comment.objects.filter(case__in=cases))
        country.delete_rows(Comment.objects.filter(author__in=users))
        country.delete_rows(CaseAudience.objects.filter(case__in=cases))
        country.delete_rows(CaseAudience.objects.filter(doctor__in=users))
        country.delete_rows(cases)


class _CasePlan:
    """Draws cases and their discussions, one chunk at a time, from one generator."""

    def __init__(self, rng: random.Random, members: Members, end: datetime, comments_per_case: float) -> None:
        self.rng, self.members, self.end = rng, members, end
        self.comments_per_case = comments_per_case
        self.history_start = end - timedelta(days=HISTORY_DAYS)
        codes = dict(Specialty.objects.order_by("pk").values_list("pk", "code"))
        self.specialty_ids = sorted(codes)
        self.scenarios: dict[int, list[Scenario]] = {
            pk: [s for s in SCENARIOS if code in s.specialties] for pk, code in codes.items()
        }
        self.general = [s for s in SCENARIOS if "internal-medicine" in s.specialties]
        # Few doctors post a lot, most rarely (Pareto-distributed activity); those who joined in
        # the last days have not posted yet (their cases would all pile up at the data set's
        # last instant, with no discussion yet, at the top of every feed).
        self.activity = list(
            accumulate(
                rng.paretovariate(1.6) * (members.joined[index] + FIRST_CASE_AFTER < end)
                for index in range(len(members))
            )
        )
        self.visibilities = [str(v) for v in VISIBILITY_MIX]
        self.visibility_weights = list(accumulate(VISIBILITY_MIX.values()))

    def chunk(
        self, case_ids: list[int]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        cases: list[dict[str, Any]] = []
        audience: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        for case_id in case_ids:
            case, named, discussion = self.case(case_id)
            cases.append(case)
            audience.extend({"case_id": case_id, "doctor_id": doctor_id} for doctor_id in named)
            comments.extend(discussion)
        return cases, audience, comments

    def case(self, case_id: int) -> tuple[dict[str, Any], list[int], list[dict[str, Any]]]:
        rng, members = self.rng, self.members
        author = rng.choices(range(len(members)), cum_weights=self.activity)[0]
        own = members.specialties[author]
        if own:
            specialty = own[1] if len(own) > 1 and rng.random() < 0.2 else own[0]
        else:
            specialty = rng.choice(self.specialty_ids)
        draft = draw_case(
            rng, rng.choice(self.scenarios.get(specialty) or self.general), members.tier[author]
        )
        published_at = _spread(
            rng, max(self.history_start, members.joined[author] + FIRST_CASE_AFTER), self.end
        )
        visibility = self.visibilities[_pick(rng, self.visibility_weights)]
        peers = members.peers[author]
        if not peers:
            visibility = str(Case.Visibility.NETWORK)
        named = (
            rng.sample(peers, min(len(peers), rng.randint(1, 4)))
            if visibility == Case.Visibility.NAMED
            else []
        )
        discussion = self.discussion(case_id, author, visibility, named, specialty, published_at)
        answers = [c for c in discussion if c["parent"] is None and c["author_id"] != members.ids[author]]
        roll = rng.random()
        status, accepted = str(Case.Status.OPEN), None
        if answers and roll < ANSWERED_SHARE:
            status, accepted = str(Case.Status.ANSWERED), rng.choice(answers)
        elif roll > 1 - CLOSED_SHARE:
            status = str(Case.Status.CLOSED)
        fate = rng.random()
        last_activity = discussion[-1]["created_at"] if discussion else published_at
        hidden = DELETED_SHARE <= fate < DELETED_SHARE + HIDDEN_SHARE
        case = {
            "id": case_id,
            "public_id": _uuid(rng),
            "author_id": members.ids[author],
            "specialty_id": specialty,
            "title": draft.title,
            "icd10_codes": draft.icd10_codes,
            "age_band": draft.age_band,
            "sex": draft.sex,
            "presenting_problem": draft.presenting_problem,
            "history": draft.history,
            "findings": draft.findings,
            "investigations": draft.investigations,
            "question": draft.question,
            "tags": draft.tags,
            "consent_by": "",
            "consent_method": "",
            "consent_note": "",
            "visibility": visibility,
            "status": status,
            "accepted": accepted,
            "created_at": published_at - timedelta(minutes=rng.randint(5, 600)),
            "published_at": published_at,
            "updated_at": published_at,
            "deleted_at": last_activity if fate < DELETED_SHARE else None,
            "hidden_at": last_activity if hidden else None,
            "hidden_reason": MODERATION_REASON if hidden else "",
        }
        return case, [members.ids[d] for d in named], discussion

    def discussion(
        self,
        case_id: int,
        author: int,
        visibility: str,
        named: list[int],
        specialty: int,
        published_at: datetime,
    ) -> list[dict[str, Any]]:
        """The case's comments in time order, each by a doctor who may see the case; a reply
        answers an earlier top-level comment (one level only)."""
        rng, members = self.rng, self.members
        count = round(rng.expovariate(1 / self.comments_per_case)) if self.comments_per_case else 0
        peers = members.peers[author]
        if visibility == Case.Visibility.NAMED:
            voices = named
        elif visibility == Case.Visibility.CONNECTIONS:
            voices = peers
        else:
            voices = []  # anyone: drawn below from peers and colleagues of the specialty
        colleagues = members.by_specialty.get(specialty, [])
        comments: list[dict[str, Any]] = []
        top_level: list[dict[str, Any]] = []
        moment = published_at
        for _ in range(count):
            moment += timedelta(minutes=rng.expovariate(1 / 360))
            if moment >= self.end:
                break
            parent = rng.choice(top_level) if top_level and rng.random() < REPLY_SHARE else None
            if parent is not None and rng.random() < 0.4:
                writer = author  # the author answers questions on their case
            elif voices:
                writer = rng.choice(voices)
            elif peers and (not colleagues or rng.random() < 0.6):
                writer = rng.choice(peers)
            else:
                writer = rng.choice(colleagues) if colleagues else author
            if parent is None and writer == author and top_level:
                parent = top_level[-1]
            comment = {
                "id": None,
                "public_id": _uuid(rng),
                "case_id": case_id,
                "author_id": members.ids[writer],
                "parent": parent,
                "body": draw_comment(rng, parent is not None),
                "created_at": moment,
                "edited_at": None,
                "deleted_at": moment if rng.random() < 0.005 else None,
                "hidden_at": None,
                "hidden_reason": "",
            }
            comments.append(comment)
            if parent is None:
                top_level.append(comment)
        return comments


def network_steps(
    *,
    connections_per_doctor: int = CONNECTIONS_PER_DOCTOR,
    cases_per_doctor: float = CASES_PER_DOCTOR,
    comments_per_case: float = COMMENTS_PER_CASE,
) -> list[Step]:
    """The network's steps of the country pipeline, sharing one run state; the sizes are per
    doctor of the data set (tests pass small ones)."""
    run = NetworkRun()
    return [
        ConnectionsStep(run, connections_per_doctor),
        SpecialtyFollowsStep(run),
        CasesStep(run, cases_per_doctor, comments_per_case),
    ]


# --- Running alone, fingerprint ------------------------------------------------------------------


def seed_network(
    parameters: CountryParameters, *, log: Callable[[str], None] = print, steps: Sequence[Step] | None = None
) -> dict[str, float]:
    """Replace the network data of the synthetic country already in the database (doctors kept);
    return the seconds each step took. All or nothing."""
    country = country_module()
    steps = list(steps) if steps is not None else network_steps()
    ctx = country.SeedContext(parameters, log=log)
    timings: dict[str, float] = {}
    with transaction.atomic():
        started = time.perf_counter()
        for step in reversed(steps):
            step.delete(ctx)
        timings["reset"] = time.perf_counter() - started
        for step in steps:
            started = time.perf_counter()
            step.run(ctx)
            timings[step.name] = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in sorted({model._meta.db_table for step in steps for model in step.writes}):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        timings["analyze"] = time.perf_counter() - started
    return timings


def network_fingerprint() -> str:
    """A digest of the synthetic network's content, not its ids: equal for equal data sets."""
    query = """
        WITH doctor AS (SELECT id, email FROM accounts_user WHERE email LIKE %(users)s),
        lines AS (
            SELECT 'k|' || a.email || '|' || b.email || '|' || k.created_at AS line
              FROM network_connection k JOIN doctor a ON a.id = k.doctor_id JOIN doctor b ON b.id = k.peer_id
            UNION ALL
            SELECT 'f|' || d.email || '|' || s.code || '|' || f.created_at
              FROM network_specialtyfollow f JOIN doctor d ON d.id = f.doctor_id
              JOIN facilities_specialty s ON s.id = f.specialty_id
            UNION ALL
            SELECT concat_ws('|', 'c', c.public_id, d.email, s.code, c.title, c.icd10_codes, c.age_band, c.sex,
                             c.presenting_problem, c.history, c.findings, c.investigations, c.question, c.tags,
                             c.visibility, c.status, a.public_id, c.created_at, c.published_at, c.deleted_at,
                             c.hidden_at, c.hidden_reason,
                             (SELECT string_agg(n.email, ',' ORDER BY n.email)
                                FROM network_caseaudience ca JOIN accounts_user n ON n.id = ca.doctor_id
                               WHERE ca.case_id = c.id))
              FROM network_case c JOIN doctor d ON d.id = c.author_id
              JOIN facilities_specialty s ON s.id = c.specialty_id
              LEFT JOIN network_comment a ON a.id = c.accepted_answer_id
            UNION ALL
            SELECT concat_ws('|', 'm', m.public_id, c.public_id, d.email, p.public_id, m.body, m.created_at,
                             m.deleted_at)
              FROM network_comment m JOIN doctor d ON d.id = m.author_id
              JOIN network_case c ON c.id = m.case_id
              LEFT JOIN network_comment p ON p.id = m.parent_id
        )
        SELECT md5(coalesce(string_agg(line, E'\\n' ORDER BY line), '')) FROM lines
    """
    return fingerprint(query)


def fingerprint(query: str) -> str:
    """Run a fingerprint ``query`` (one md5 over the synthetic doctors' rows, ``%(users)s``
    matching their email addresses) and return it."""
    with connection.cursor() as cursor:
        cursor.execute(query, {"users": f"%@{country_module().SYNTHETIC_DOMAIN}"})
        return cursor.fetchone()[0]


# --- Helpers -------------------------------------------------------------------------------------


def country_module() -> ModuleType:
    """The country module (bulk writing, synthetic rows): imported late because it imports
    this module for its pipeline."""
    from accounts.management.seeding import country

    return country


@contextmanager
def checked_per_statement(deferred: tuple[type[Model], str] | None = None) -> Iterator[None]:
    """Check foreign keys at the end of each COPY instead of at commit.

    Django declares them DEFERRABLE INITIALLY DEFERRED: left so, the commit checks tens of
    millions of rows one by one after they left the buffer cache, which took longer than writing
    them. Checked per chunk, the rows are still in memory. ``deferred`` names the one foreign key
    (model, field) that must wait for the commit because its rows are written after it.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if deferred is not None:
            model, field_name = deferred
            foreign_key = model._meta.get_field(field_name)
            assert isinstance(foreign_key, ForeignKey)
            column, table = foreign_key.column, model._meta.db_table
            names = [
                name
                for name, details in connection.introspection.get_constraints(cursor, table).items()
                if details["foreign_key"] and details["columns"] == [column]
            ]
            for name in names:
                cursor.execute(f"SET CONSTRAINTS {connection.ops.quote_name(name)} DEFERRED")
        try:
            yield
        finally:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    """An index drawn with the weights whose running totals are ``cumulative``."""
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def _unit(key: int, seed: int) -> float:
    """A number in [0, 1) that depends only on ``key`` and ``seed`` (a 64-bit mix)."""
    mixed = (key * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    mixed ^= mixed >> 31
    mixed = (mixed * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (mixed ^ (mixed >> 29)) / 2**64


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
