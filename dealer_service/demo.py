"""Demo data for `manage.py seed_demo`: the tables and the row generator.

Nothing here touches the database or needs Django set up, so the run script
can print DEMO_LOGINS before the project is configured, and tests can generate
rows without a database. Choice values (roles, job types, lifecycle classes...)
are the plain strings of the models' TextChoices; a test checks they match.

Every random value comes from one `random.Random(SEED)` in a fixed order:
the catalogue first (its size never depends on the scale), then customers by
index. So customer number n and its vehicles are the same whatever the scale
and on whatever day the command runs, which is what lets a re-run (or a run
at a larger scale) create only the rows that are missing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import NamedTuple

# Plain functions with no settings behind them: safe to import before setup.
from customers.validators import vin_with_check_digit

SEED = 2026
# Customer and vehicle content is dated relative to this fixed day, not to
# today: a VIN encodes its model year, so content that moved with the clock
# would no longer match the rows of an earlier run.
CONTENT_ANCHOR = dt.date(2026, 11, 1)
CUSTOMERS_PER_SCALE = 1_000
DEMO_PASSWORD = "demo1234"
ADMIN_PASSWORD = "admin1234"

# --------------------------------------------------------------------------
# Stations, opening hours, holidays, bays
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class StationSpec:
    code: str
    name: str
    address: str
    phone: str
    labour_rate: Decimal
    city: str
    area_code: str
    province: str
    plate_letters: str  # issuing-office letters of the city, most common first
    # Plates of neighbouring provinces seen at the station: (province, letters).
    other_plates: tuple[tuple[str, str], ...]
    # District -> streets, for customer addresses.
    districts: tuple[tuple[str, tuple[str, ...]], ...]
    # Home addresses as people write them: Beijing 号院/号楼/单元, Shanghai 弄/号/室.
    address_format: str
    landline_starts: str  # first digit of local numbers
    staff: dict[str, str]  # role -> display name (technicians are below)
    technicians: tuple[tuple[str, int, bool], ...]  # (name, skill grade, works Sundays)


STATIONS: tuple[StationSpec, ...] = (
    StationSpec(
        code="bj01",
        name="北京朝阳服务站",
        address="北京市朝阳区东四环北路88号",
        phone="010-84576688",
        labour_rate=Decimal("180.00"),
        city="北京市",
        area_code="010",
        province="京",
        plate_letters="NPQEFHJKLMABCG",
        other_plates=(("冀", "FRJAT"), ("津", "ACD")),
        districts=(
            ("朝阳区", ("望京街", "朝阳北路", "东三环中路", "酒仙桥路", "亮马桥路", "广渠路", "北苑路")),
            ("海淀区", ("中关村大街", "学院路", "知春路", "西三环北路", "清河中街")),
            ("东城区", ("东直门南大街", "和平里西街", "崇文门外大街")),
            ("西城区", ("德胜门外大街", "西直门南大街", "广安门内大街")),
            ("丰台区", ("丰台北路", "科学城路", "南三环西路")),
            ("通州区", ("新华大街", "玉桥中路", "运河西大街")),
            ("昌平区", ("回龙观西大街", "天通苑北街", "府学路")),
            ("顺义区", ("府前街", "后沙峪路")),
            ("大兴区", ("兴丰大街", "亦庄荣华路")),
            ("石景山区", ("鲁谷路", "古城大街")),
        ),
        address_format="{city}{district}{street}{no}号院 {compound}{building}号楼{unit}单元{room}",
        landline_starts="568",
        staff={
            "advisor": "刘建华",
            "dispatcher": "赵国强",
            "specialist": "陈静",
            "parts_clerk": "孙立新",
            "cashier": "李娜",
            "manager": "周志刚",
            "call_center": "吴婷",
        },
        technicians=(
            ("张伟", 4, True),
            ("王磊", 3, False),
            ("李强", 3, True),
            ("马俊", 2, False),
            ("杨帆", 2, True),
            ("郭小龙", 1, False),
        ),
    ),
    StationSpec(
        code="sh01",
        name="上海浦东服务站",
        address="上海市浦东新区金桥路1288号",
        phone="021-58991288",
        labour_rate=Decimal("200.00"),
        city="上海市",
        area_code="021",
        province="沪",
        plate_letters="ABCDEFGHJKLMN",
        other_plates=(("苏", "EAB"), ("浙", "AFB")),
        districts=(
            ("浦东新区", ("世纪大道", "张杨路", "杨高南路", "金科路", "锦绣路", "川沙路", "东方路")),
            ("徐汇区", ("漕溪北路", "肇嘉浜路", "龙华中路")),
            ("静安区", ("南京西路", "延安中路", "共和新路")),
            ("黄浦区", ("西藏南路", "复兴中路")),
            ("闵行区", ("七莘路", "莘庄沪闵路", "虹井路")),
            ("长宁区", ("虹桥路", "天山路")),
            ("杨浦区", ("国权路", "黄兴路", "控江路")),
            ("普陀区", ("真北路", "曹杨路")),
            ("宝山区", ("牡丹江路", "共康路")),
        ),
        address_format="{city}{district}{street}{no}弄 {compound}{building}号{room}室",
        landline_starts="56",
        staff={
            "advisor": "徐佳颖",
            "dispatcher": "朱海峰",
            "specialist": "沈丽萍",
            "parts_clerk": "顾建明",
            "cashier": "陆燕",
            "manager": "黄振宇",
            "call_center": "钱晓芸",
        },
        technicians=(
            ("蒋勇", 4, True),
            ("胡斌", 3, False),
            ("韩冬", 3, True),
            ("邓超", 2, False),
            ("曹阳", 2, True),
            ("彭浩", 1, False),
        ),
    ),
)
GROUP_MANAGER = ("manager.group", "高明远")
# The technician (by position) who takes leave; see on_leave().
LEAVE_TAKER = 3

# Weekday (Monday = 0) -> opening and closing time.
OPENING_HOURS: dict[int, tuple[dt.time, dt.time]] = {
    **{weekday: (dt.time(8, 30), dt.time(18, 0)) for weekday in range(6)},
    6: (dt.time(9, 0), dt.time(17, 0)),
}
# Shifts sit inside the opening hours: the last half hour is for handovers.
SHIFTS: dict[int, tuple[dt.time, dt.time]] = {
    **{weekday: (dt.time(8, 30), dt.time(17, 30)) for weekday in range(6)},
    6: (dt.time(9, 0), dt.time(17, 0)),
}
BREAK_MINUTES = 60
ROSTER_DAYS_BACK = 14
ROSTER_DAYS_AHEAD = 28

# The days the stations close (the statutory holidays' core days).
HOLIDAYS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2026, 1, 1), "元旦"),
    (dt.date(2026, 2, 16), "除夕"),
    (dt.date(2026, 2, 17), "春节"),
    (dt.date(2026, 2, 18), "春节"),
    (dt.date(2026, 5, 1), "劳动节"),
    (dt.date(2026, 10, 1), "国庆节"),
    (dt.date(2026, 10, 2), "国庆节"),
    (dt.date(2027, 1, 1), "元旦"),
    (dt.date(2027, 2, 5), "除夕"),
    (dt.date(2027, 2, 6), "春节"),
    (dt.date(2027, 2, 7), "春节"),
    (dt.date(2027, 5, 1), "劳动节"),
    (dt.date(2027, 10, 1), "国庆节"),
    (dt.date(2027, 10, 2), "国庆节"),
)

# (code, name, bay type)
BAYS: tuple[tuple[str, str, str], ...] = (
    ("A01", "机修工位1", "general"),
    ("A02", "机修工位2", "general"),
    ("A03", "机修工位3", "general"),
    ("A04", "机修工位4", "general"),
    ("K01", "快修工位1", "quick"),
    ("K02", "快修工位2", "quick"),
    ("P01", "钣喷工位", "body_paint"),
    ("D01", "四轮定位工位", "alignment"),
)

# --------------------------------------------------------------------------
# Logins
# --------------------------------------------------------------------------

# In the order of dealers.models.Role.
ROLE_LABELS: dict[str, str] = {
    "advisor": "服务顾问 service advisor",
    "dispatcher": "车间调度 workshop dispatcher",
    "technician": "维修技师 technician",
    "specialist": "客服专员 customer-service specialist",
    "parts_clerk": "备件 parts clerk",
    "cashier": "收银 cashier",
    "manager": "服务经理 service manager",
    "call_center": "呼叫中心 call-center agent",
}


class DemoLogin(NamedTuple):
    username: str
    password: str
    role: str  # label, for people reading the table
    stations: tuple[str, ...]


class StaffSpec(NamedTuple):
    username: str
    display_name: str
    role: str
    stations: tuple[str, ...]
    skill_grade: int | None
    works_sundays: bool
    phone: str


def technician_username(station: str, position: int) -> str:
    return f"technician.{station}" if position == 0 else f"technician{position + 1}.{station}"


def staff_specs() -> list[StaffSpec]:
    """Every demo login except the superuser, station by station in the
    order of the roles (ROLE_LABELS), as the logins table prints them."""
    specs: list[StaffSpec] = []
    for number, station in enumerate(STATIONS, start=1):
        for role in ROLE_LABELS:
            if role != "technician":
                username = f"{role}.{station.code}"
                specs.append(StaffSpec(username, station.staff[role], role, (station.code,), None, False, ""))
                continue
            for position, (name, grade, sundays) in enumerate(station.technicians):
                phone = f"1391{number:02d}{position + 1:05d}"  # the workshop's own phones
                username = technician_username(station.code, position)
                specs.append(StaffSpec(username, name, role, (station.code,), grade, sundays, phone))
    username, name = GROUP_MANAGER
    specs.append(StaffSpec(username, name, "manager", tuple(s.code for s in STATIONS), None, False, ""))
    return specs


DEMO_LOGINS: list[DemoLogin] = [
    *(DemoLogin(s.username, DEMO_PASSWORD, ROLE_LABELS[s.role], s.stations) for s in staff_specs()),
    DemoLogin("admin", ADMIN_PASSWORD, "超级管理员 superuser (/admin/)", tuple(s.code for s in STATIONS)),
]


def on_leave(position: int, day: dt.date) -> bool:
    """Two days off in every ten for one technician per station. Derived
    from the date, not the random stream, so re-runs on other days agree."""
    return position == LEAVE_TAKER and day.toordinal() % 10 in (0, 1)


# --------------------------------------------------------------------------
# Catalogue: labour operations, parts, service packages
# --------------------------------------------------------------------------

# (code, name, job type, flat-rate hours, required skill grade)
LABOUR_OPERATIONS: tuple[tuple[str, str, str, str, int], ...] = (
    ("M001", "更换机油机滤", "maintenance", "0.5", 1),
    ("M002", "更换空气滤芯", "maintenance", "0.2", 1),
    ("M003", "更换空调滤芯", "maintenance", "0.3", 1),
    ("M004", "更换火花塞", "maintenance", "0.8", 2),
    ("M005", "更换刹车油", "maintenance", "0.8", 2),
    ("M006", "更换变速箱油", "maintenance", "1.2", 3),
    ("M007", "更换防冻液", "maintenance", "0.8", 2),
    ("M008", "更换燃油滤清器", "maintenance", "0.6", 2),
    ("M009", "四轮定位", "maintenance", "1.0", 2),
    ("M010", "轮胎换位及动平衡", "maintenance", "0.6", 1),
    ("M011", "例行保养检查", "maintenance", "0.5", 1),
    ("M012", "空调系统清洗", "maintenance", "0.8", 1),
    ("M013", "节气门清洗", "maintenance", "0.6", 2),
    ("M014", "更换雨刮片", "maintenance", "0.1", 1),
    ("M015", "蓄电池检测", "maintenance", "0.2", 1),
    ("M016", "冬季检查", "maintenance", "0.5", 1),
    ("M017", "更换多楔带", "maintenance", "0.8", 2),
    ("R001", "更换前刹车片", "repair", "1.2", 2),
    ("R002", "更换后刹车片", "repair", "1.0", 2),
    ("R003", "更换前刹车盘", "repair", "1.6", 2),
    ("R004", "发动机故障诊断", "repair", "1.0", 3),
    ("R005", "电气系统故障诊断", "repair", "1.0", 3),
    ("R006", "更换前减震器（单侧）", "repair", "1.5", 3),
    ("R007", "更换下摆臂", "repair", "1.2", 2),
    ("R008", "更换水泵", "repair", "2.5", 3),
    ("R009", "更换点火线圈", "repair", "0.5", 2),
    ("R010", "空调不制冷检修", "repair", "1.5", 3),
    ("R011", "更换空调压缩机", "repair", "3.0", 3),
    ("R012", "变速箱故障诊断", "repair", "1.0", 4),
    ("R013", "更换正时链条", "repair", "6.0", 4),
    ("R014", "更换涡轮增压器", "repair", "5.0", 4),
    ("R015", "高压电池系统检测", "repair", "1.5", 4),
    ("R016", "控制单元软件升级", "repair", "0.8", 3),
    ("R017", "更换大灯总成", "repair", "0.8", 2),
    ("B001", "前保险杠喷漆", "body_paint", "3.0", 2),
    ("B002", "后保险杠喷漆", "body_paint", "3.0", 2),
    ("B003", "前翼子板钣金喷漆", "body_paint", "4.0", 3),
    ("B004", "车门钣金喷漆", "body_paint", "4.5", 3),
    ("B005", "无痕凹陷修复", "body_paint", "1.0", 3),
    ("B006", "更换前挡风玻璃", "body_paint", "1.5", 2),
)


@dataclass(frozen=True)
class PartKind:
    key: str
    name: str
    unit: str
    price: int  # typical price for a volume make, in CNY
    combustion_only: bool = False


# Parts that exist once per vehicle model.
PART_KINDS: tuple[PartKind, ...] = (
    PartKind("oil_filter", "机油滤清器", "件", 68, combustion_only=True),
    PartKind("air_filter", "空气滤芯", "件", 128, combustion_only=True),
    PartKind("cabin_filter", "空调滤芯", "件", 118),
    PartKind("spark_plug", "火花塞", "件", 86, combustion_only=True),
    PartKind("pads_front", "刹车片(前)", "套", 680),
    PartKind("pads_rear", "刹车片(后)", "套", 520),
    PartKind("disc_front", "刹车盘(前)", "件", 780),
    PartKind("wiper", "雨刮片", "套", 260),
    PartKind("headlight", "大灯总成", "件", 4800),
    PartKind("bumper", "前保险杠皮", "件", 1980),
)

# Parts every make uses: (number, name, unit, price).
COMMON_PARTS: tuple[tuple[str, str, str, str], ...] = (
    ("G052195M4", "5W-30 全合成机油", "升", "98.00"),
    ("G052577M4", "0W-20 全合成机油", "升", "105.00"),
    ("G052167M4", "5W-40 全合成机油", "升", "92.00"),
    ("G055512A2", "DSG 双离合变速箱油", "升", "150.00"),
    ("08269P99Z3", "CVT 无级变速箱油", "升", "128.00"),
    ("0888681047", "ATF 自动变速箱油", "升", "118.00"),
    ("N0138157", "放油螺栓密封垫", "件", "8.00"),
    ("B000750M3", "刹车油 DOT4", "升", "85.00"),
    ("G013A8JM1", "防冻液 -40℃", "升", "62.00"),
    ("G052164M2", "R134a 制冷剂", "千克", "180.00"),
    ("G052164Y2", "R1234yf 制冷剂", "千克", "980.00"),
    ("SV1001", "空调系统清洗剂", "瓶", "88.00"),
    ("SV1002", "空调除菌除臭剂", "瓶", "68.00"),
    ("SV1003", "燃油系统清洗剂", "瓶", "78.00"),
    ("SV1004", "节气门清洗剂", "瓶", "45.00"),
    ("SV1005", "防冻玻璃水 -30℃", "瓶", "25.00"),
    ("JZW915105", "蓄电池 12V 60Ah", "件", "980.00"),
    ("JZW915105F", "蓄电池 12V 70Ah AGM", "件", "1480.00"),
    ("TY2254517", "轮胎 225/45 R17", "条", "860.00"),
    ("TY2355518", "轮胎 235/55 R18", "条", "1050.00"),
    ("TY2454519", "轮胎 245/45 R19", "条", "1380.00"),
    ("SV2001", "气门嘴", "个", "15.00"),
    ("SV2002", "动平衡块", "个", "6.00"),
    ("LV1001", "原厂色漆", "升", "560.00"),
    ("LV1002", "中涂底漆", "升", "240.00"),
    ("LV1003", "清漆", "升", "320.00"),
)

# (code, name, description, job type, operations, parts: (number, quantity))
SERVICE_PACKAGES: tuple[tuple[str, str, str, str, tuple[str, ...], tuple[tuple[str, str], ...]], ...] = (
    (
        "PK01",
        "首保 5,000 km",
        "新车首次保养：更换机油机滤，全车例行检查。机滤按车型选配。",
        "maintenance",
        ("M001", "M011"),
        (("G052195M4", "4.5"), ("N0138157", "1")),
    ),
    (
        "PK02",
        "10,000 km 保养",
        "更换机油机滤，例行检查。机滤按车型选配。",
        "maintenance",
        ("M001", "M011"),
        (("G052195M4", "5"), ("N0138157", "1")),
    ),
    (
        "PK03",
        "20,000 km 保养",
        "更换机油机滤、空气滤芯、空调滤芯，轮胎换位，例行检查。",
        "maintenance",
        ("M001", "M002", "M003", "M010", "M011"),
        (("G052195M4", "5"), ("N0138157", "1"), ("SV2002", "4")),
    ),
    (
        "PK04",
        "30,000 km 保养",
        "更换机油机滤，节气门清洗，燃油系统清洗，例行检查。",
        "maintenance",
        ("M001", "M011", "M013"),
        (("G052195M4", "5"), ("N0138157", "1"), ("SV1003", "1"), ("SV1004", "1")),
    ),
    (
        "PK05",
        "40,000 km 保养",
        "更换机油机滤、空气滤芯、空调滤芯、火花塞、刹车油，例行检查。",
        "maintenance",
        ("M001", "M002", "M003", "M004", "M005", "M011"),
        (("G052195M4", "5"), ("N0138157", "1"), ("B000750M3", "1")),
    ),
    (
        "PK06",
        "60,000 km 大保养",
        "更换机油机滤、三滤、火花塞、刹车油、变速箱油、防冻液，四轮定位，全车检查。",
        "maintenance",
        ("M001", "M002", "M003", "M004", "M005", "M006", "M007", "M009", "M011"),
        (("G052195M4", "5"), ("N0138157", "1"), ("B000750M3", "1"), ("G055512A2", "6"), ("G013A8JM1", "4")),
    ),
    (
        "PK07",
        "空调系统养护",
        "空调系统清洗杀菌，更换空调滤芯，检查制冷效果。",
        "maintenance",
        ("M012", "M003"),
        (("SV1001", "1"), ("SV1002", "1")),
    ),
    (
        "PK08",
        "冬季检查",
        "入冬前检查防冻液冰点、蓄电池、轮胎、灯光、雨刮，加注防冻玻璃水。",
        "maintenance",
        ("M016", "M015", "M014"),
        (("SV1005", "2"),),
    ),
)

# --------------------------------------------------------------------------
# Vehicles: makes and models of the Chinese joint ventures
# --------------------------------------------------------------------------

YEAR_CODES = dict(zip(range(2016, 2027), "GHJKLMNPRST", strict=True))
# More recent model years are more common in a service station's car parc.
YEAR_WEIGHTS = dict(zip(range(2016, 2027), (4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 9), strict=True))


@dataclass(frozen=True)
class VariantSpec:
    name: str
    vds: str  # VIN positions 4–8
    engine: str  # engine (or motor) code, the engine number's prefix
    energy: str = ""  # "D" battery-electric, "F" plug-in hybrid: a green plate
    from_year: int = 2016
    until_year: int = 2026


@dataclass(frozen=True)
class ModelSpec:
    make: str
    model: str
    wmi: str
    plants: str  # VIN position 11
    first_year: int
    weight: int
    part_style: str
    variants: tuple[VariantSpec, ...]


V = VariantSpec
COLOURS: dict[str, tuple[str, ...]] = {
    "大众": ("极地白", "曜石黑", "钨钢灰", "月光银", "深海蓝", "宝石红"),
    "奥迪": ("冰川白", "传奇黑", "星河灰", "纳瓦拉蓝", "弗罗伦萨白"),
    "宝马": ("矿石白", "宝石青", "碳黑", "墨尔本红", "冰川银", "波提默蓝"),
    "奔驰": ("北极白", "曜岩黑", "钻石白", "宝石蓝", "高科技银"),
    "本田": ("珍珠白", "水晶黑珍珠", "星月银", "炽火红", "钛空灰"),
    "丰田": ("铂金珍珠白", "璀璨黑", "晶钻银", "深蓝云母", "熔岩橙"),
}
# fmt: off
# Positional: make, model, WMI, plants (VIN position 11), first model year,
# share of the car parc, part-number style, variants.
MODELS: tuple[ModelSpec, ...] = (
    # SAIC Volkswagen (上汽大众)
    ModelSpec("大众", "帕萨特", "LSV", "NPA", 2016, 10, "vw", (
        V("280TSI 商务版", "AA63C", "DJS"), V("330TSI 精英版", "AB63C", "DKV"),
        V("380TSI 旗舰版", "AC63C", "DKX"), V("430PHEV 混动豪华版", "AH63C", "DJZ", "F", 2019, 2022),
    )),
    ModelSpec("大众", "朗逸", "LSV", "NA", 2016, 12, "vw", (
        V("1.5L 自动舒适版", "NB2B5", "DMB"), V("280TSI DSG 豪华版", "NC2B5", "DJS"),
        V("1.5L 手动风尚版", "NA2B5", "DMB"),
    )),
    ModelSpec("大众", "途观L", "LSV", "AN", 2017, 8, "vw", (
        V("330TSI 自动两驱智享版", "UA65N", "DKV"), V("380TSI 自动四驱豪华版", "UB65N", "DKX"),
        V("430PHEV 插电混动旗舰版", "UH65N", "DJZ", "F", 2019, 2023),
    )),
    ModelSpec("大众", "ID.4 X", "LSV", "A", 2021, 4, "vw", (
        V("纯电 Pro 长续航版", "E8E2C", "EBJ", "D"), V("纯电 Prime 四驱版", "E9E2C", "EBK", "D"),
    )),
    # FAW-Volkswagen (一汽-大众)
    ModelSpec("大众", "迈腾", "LFV", "CF", 2016, 9, "vw", (
        V("280TSI DSG 舒适型", "A63C8", "DJS"), V("330TSI DSG 领先型", "A73C8", "DKV"),
        V("380TSI DSG 旗舰型", "A83C8", "DKX"), V("GTE 插电混动豪华型", "A93C8", "DJZ", "F", 2019, 2022),
    )),
    ModelSpec("大众", "速腾", "LFV", "CF", 2016, 8, "vw", (
        V("200TSI DSG 超越版", "A21K5", "DLS"), V("280TSI DSG 飞越版", "A31K5", "DJS"),
    )),
    ModelSpec("大众", "探岳", "LFV", "CT", 2019, 5, "vw", (
        V("330TSI 两驱豪华智联版", "B6A3C", "DKV"), V("380TSI 四驱R-Line智联版", "B7A3C", "DKX"),
    )),
    ModelSpec("大众", "ID.4 CROZZ", "LFV", "F", 2021, 4, "vw", (
        V("纯电 Pro 版", "E3E2F", "EBJ", "D"), V("纯电 Prime 四驱版", "E4E2F", "EBK", "D"),
    )),
    # FAW-Volkswagen Audi (一汽奥迪)
    ModelSpec("奥迪", "A4L", "LFV", "CU", 2016, 4, "vw", (
        V("40 TFSI 时尚动感型", "3A48W", "DKW"), V("45 TFSI quattro 臻选动感型", "3B48W", "DTA"),
    )),
    ModelSpec("奥迪", "A6L", "LFV", "CU", 2016, 4, "vw", (
        V("45 TFSI 臻选致雅型", "3A4F2", "DKW"), V("55 TFSI quattro 旗舰动感型", "3C4F2", "DLZ"),
    )),
    ModelSpec("奥迪", "Q5L", "LFV", "CU", 2018, 3, "vw", (
        V("40 TFSI 荣享时尚型", "3AFY8", "DKW"), V("45 TFSI 尊享豪华动感型", "3BFY8", "DTA"),
    )),
    # BMW Brilliance (华晨宝马)
    ModelSpec("宝马", "3系", "LBV", "AB", 2016, 5, "bmw", (
        V("320Li M运动套装", "8X110", "B48B20"), V("325Li 豪华套装", "8Y110", "B48B20"),
        V("330Li xDrive M运动曜夜套装", "8Z310", "B48B20"),
    )),
    ModelSpec("宝马", "5系", "LBV", "AB", 2016, 5, "bmw", (
        V("525Li 豪华套装", "JA110", "B48B20"), V("530Li 尊享型 M运动套装", "JB310", "B48B20"),
        V("530Le 先锋型", "JE710", "B48A20", "F", 2018, 2022),
    )),
    ModelSpec("宝马", "X3", "LBV", "AB", 2018, 4, "bmw", (
        V("xDrive25i 豪华套装", "TR510", "B48B20"), V("xDrive30i 领先型 M运动套装", "TS710", "B48B20"),
    )),
    ModelSpec("宝马", "iX3", "LBV", "A", 2021, 3, "bmw", (
        V("领先型", "TX910", "HA0001", "D"), V("创领型", "TY910", "HA0001", "D"),
    )),
    # Beijing Benz (北京奔驰)
    ModelSpec("奔驰", "C级", "LE4", "LZ", 2016, 3, "benz", (
        V("C 200 L 时尚型", "ZA4HB", "264920"), V("C 260 L 运动版", "ZB4HB", "264920"),
    )),
    ModelSpec("奔驰", "E级", "LE4", "LZ", 2016, 3, "benz", (
        V("E 260 L 运动型", "ZC4JB", "264920"), V("E 300 L 豪华型", "ZD4JB", "264920"),
    )),
    ModelSpec("奔驰", "GLC", "LE4", "LZ", 2016, 3, "benz", (
        V("GLC 260 L 4MATIC 动感型", "GF4KB", "264920"), V("GLC 300 L 4MATIC 豪华型", "GG4KB", "264920"),
    )),
    # GAC Honda (广汽本田)
    ModelSpec("本田", "雅阁", "LHG", "G", 2016, 6, "honda", (
        V("260TURBO 精英版", "CV163", "L15B"), V("锐·混动 2.0L 豪华版", "CV363", "LFB"),
        V("e:PHEV 智享版", "CV763", "LFC", "F", 2023),
    )),
    ModelSpec("本田", "凌派", "LHG", "G", 2016, 3, "honda", (
        V("180TURBO CVT 舒适版", "GR154", "P10A"), V("锐·混动 1.5L 舒适版", "GR354", "LEB"),
    )),
    # Dongfeng Honda (东风本田)
    ModelSpec("本田", "CR-V", "LVH", "W", 2016, 5, "honda", (
        V("240TURBO CVT 两驱舒适版", "RW164", "L15B"), V("240TURBO CVT 四驱尊贵版", "RW264", "L15B"),
        V("锐·混动 2.0L 两驱净速版", "RW364", "LFB"),
    )),
    ModelSpec("本田", "思域", "LVH", "W", 2016, 3, "honda", (
        V("220TURBO CVT 燃动版", "FC153", "L15B"), V("240TURBO CVT 劲动版", "FC253", "L15B"),
    )),
    # GAC Toyota (广汽丰田)
    ModelSpec("丰田", "凯美瑞", "LVG", "G", 2016, 6, "toyota", (
        V("2.0G 豪华版", "C3AK7", "M20C"), V("2.5G 尊贵版", "C4AK7", "A25A"),
        V("双擎 2.5HG 豪华版", "C5AK7", "A25B"),
    )),
    ModelSpec("丰田", "汉兰达", "LVG", "G", 2016, 3, "toyota", (
        V("2.0T 两驱豪华版 7座", "B1FU7", "8AR"), V("双擎 2.5L 四驱尊贵版 7座", "B2FU7", "A25B"),
    )),
    ModelSpec("丰田", "威兰达", "LVG", "G", 2020, 2, "toyota", (
        V("2.0L CVT 两驱领先版", "R3AA5", "M20C"), V("双擎E+ 2.5L 四驱旗舰版", "R6AA5", "A25B", "F", 2021),
    )),
    # FAW Toyota (一汽丰田)
    ModelSpec("丰田", "卡罗拉", "LFM", "T", 2016, 5, "toyota", (
        V("1.2T S-CVT 精英版", "A1E16", "9NR"), V("双擎 1.8L E-CVT 先锋版", "A2E16", "8ZR"),
    )),
    ModelSpec("丰田", "RAV4荣放", "LFM", "T", 2016, 5, "toyota", (
        V("2.0L CVT 两驱风尚版", "J3A53", "M20C"), V("双擎 2.5L E-CVT 四驱精英版", "J4A53", "A25B"),
        V("双擎E+ 2.5L 四驱精锐版", "J6A53", "A25B", "F", 2021),
    )),
    ModelSpec("丰田", "亚洲龙", "LFM", "T", 2019, 2, "toyota", (
        V("2.0L 进取版", "K1A33", "M20C"), V("双擎 2.5L 豪华版", "K2A33", "A25B"),
    )),
)
# fmt: on
del V

# --------------------------------------------------------------------------
# People: names, phones, addresses
# --------------------------------------------------------------------------

# The most common surnames, roughly by frequency (weights follow the order).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
SURNAME_WEIGHTS = [max(1, 100 - 3 * i) for i in range(len(SURNAMES))]
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆国峰建文志海东龙阳林晨博宏振睿子轩浩然天佑思远"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红婷雪琳晶颖慧倩洁佳欣悦怡梦璐瑶雨晓宁蕾薇诗涵子萱梓琪"
COMPANY_WORDS = ("华信", "京通", "瑞丰", "恒达", "中创", "博远", "鼎盛", "安捷", "金桥", "宏图", "启明", "汇通")
COMPANY_TRADES = ("科技", "贸易", "物流", "建设工程", "文化传媒", "餐饮管理", "医疗器械", "信息技术")
COMPOUNDS = ("阳光花园", "金色家园", "幸福里", "碧水苑", "和平小区", "锦绣华庭", "翠湖园", "东方明珠苑", "绿地新都")
MOBILE_PREFIXES = (
    *("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153"),
    *("155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182"),
    *("183", "184", "185", "186", "187", "188", "189", "191", "198", "199"),
)
NOTES = (
    "工作日白天开会多，优先发短信。",
    "老客户，介绍过朋友购车。",
    "车辆主要由家人使用，联系本人。",
    "对价格敏感，报价前先说明明细。",
    "喜欢在店等候，提供休息区和饮品。",
    "上次投诉过等待时间，接车时注意告知预计交车时间。",
)

# (value, weight): lifecycle classes, channels, contact times.
LIFECYCLES = (("potential", 6), ("owner", 68), ("club", 12), ("club_vip", 6), ("loyal", 5), ("core", 3))
# Least time in the club before the class applies (SPEC: loyal after 6 months
# in the club; core after a further year).
CLUB_TENURE_DAYS = {"club": 0, "club_vip": 0, "loyal": 183, "core": 548}
CHANNELS = (("phone", 60), ("sms", 33), ("letter", 3))
CONTACT_TIMES = (("any", 40), ("morning", 15), ("afternoon", 15), ("evening", 20), ("weekend", 10))
ODOMETER_SOURCES = (("reception", 75), ("customer", 25))


# --------------------------------------------------------------------------
# Generated rows
# --------------------------------------------------------------------------


@dataclass
class PartRow:
    number: str
    name: str
    unit: str
    unit_price: Decimal
    stock: dict[str, Decimal]  # station code -> stock on hand


@dataclass
class ReadingRow:
    km: int
    read_on: dt.date
    source: str


@dataclass
class VehicleRow:
    vin: str
    plate: str
    engine_number: str
    make: str
    model: str
    model_year: int
    variant: str
    colour: str
    sale_date: dt.date
    warranty_end: dt.date
    readings: list[ReadingRow]
    # A used car: who had it before (phone of an earlier customer) and when it changed hands.
    previous_owner_phone: str = ""
    transfer_date: dt.date | None = None


@dataclass
class CustomerRow:
    index: int
    station: str
    name: str
    phone: str
    phone2: str
    email: str
    address: str
    birthday: dt.date | None
    preferred_channel: str
    preferred_time: str
    marketing_consent: bool
    lifecycle: str
    club_since: dt.date | None
    notes: str
    vehicles: list[VehicleRow] = field(default_factory=list)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _random_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # as issued: no I, O (nor Q, to be safe)
DIGITS = "0123456789"
MODEL_WEIGHTS = [m.weight for m in MODELS]
# Price level of each make's parts against a volume make.
MAKE_PRICE_FACTORS = {"大众": 1.0, "奥迪": 1.35, "宝马": 1.6, "奔驰": 1.7, "本田": 0.95, "丰田": 0.95}
# Catalogue group of each part kind, per numbering style.
# fmt: off
PART_GROUPS: dict[str, dict[str, str]] = {
    "vw": {"oil_filter": "115", "air_filter": "129", "cabin_filter": "819", "spark_plug": "905",
           "pads_front": "698", "pads_rear": "698", "disc_front": "615", "wiper": "955",
           "headlight": "941", "bumper": "807"},
    "bmw": {"oil_filter": "1142", "air_filter": "1371", "cabin_filter": "6411", "spark_plug": "1212",
            "pads_front": "3411", "pads_rear": "3421", "disc_front": "3410", "wiper": "6161",
            "headlight": "6311", "bumper": "5111"},
    "benz": {"oil_filter": "180", "air_filter": "094", "cabin_filter": "835", "spark_plug": "159",
             "pads_front": "420", "pads_rear": "423", "disc_front": "421", "wiper": "820",
             "headlight": "906", "bumper": "885"},
    "honda": {"oil_filter": "15400", "air_filter": "17220", "cabin_filter": "80292", "spark_plug": "12290",
              "pads_front": "45022", "pads_rear": "43022", "disc_front": "45251", "wiper": "76620",
              "headlight": "33100", "bumper": "71101"},
    "toyota": {"oil_filter": "04152", "air_filter": "17801", "cabin_filter": "87139", "spark_plug": "90919",
               "pads_front": "04465", "pads_rear": "04466", "disc_front": "43512", "wiper": "85222",
               "headlight": "81110", "bumper": "52119"},
}
# fmt: on


class DemoData:
    """The demo rows, drawn from one seeded Random in a fixed order.

    The catalogue is drawn on construction; `customers(n)` then yields
    customers 0..n-1 (continuing where an earlier call stopped).
    """

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.parts: list[PartRow] = self._parts()
        self._next_index = 0
        # Values already handed out: phones, VINs and plates must not repeat.
        self._phones: set[str] = set()
        self._vins: set[str] = set()
        self._plates: set[str] = set()
        # Earlier private owners per station: who a used car can come from.
        self._sellers: dict[str, list[str]] = {s.code: [] for s in STATIONS}

    # -- catalogue ---------------------------------------------------------

    def _parts(self) -> list[PartRow]:
        rows = [
            PartRow(number, name, unit, Decimal(price), self._stock(unit, Decimal(price)))
            for number, name, unit, price in COMMON_PARTS
        ]
        numbers = {row.number for row in rows}
        for model in MODELS:
            electric = all(v.energy == "D" for v in model.variants)
            model_code = self._model_code(model.part_style)
            for kind in PART_KINDS:
                if electric and kind.combustion_only:
                    continue
                number = self._unique(numbers, partial(self._part_number, model.part_style, kind, model_code))
                factor = MAKE_PRICE_FACTORS[model.make] * self.rng.uniform(0.85, 1.2)
                price = Decimal(round(kind.price * factor)).quantize(Decimal("0.01"))
                name = f"{kind.name} {model.make}{model.model}"
                rows.append(PartRow(number, name, kind.unit, price, self._stock(kind.unit, price)))
        return rows

    def _model_code(self, style: str) -> str:
        rng = self.rng
        if style == "vw":
            return rng.choice("2345") + rng.choice(PLATE_LETTERS) + rng.choice("0D")
        if style == "bmw":
            return ""
        if style == "benz":
            return rng.choice(("205", "206", "213", "214", "253", "254"))
        if style == "honda":
            return rng.choice(PLATE_LETTERS) + rng.choice(PLATE_LETTERS + DIGITS) + "A"
        return ""

    def _part_number(self, style: str, kind: PartKind, model_code: str) -> str:
        """An OEM-style number: VW 06L115562B, BMW 11428575211, Benz A2051800009,
        Honda 15400-RTA-003, Toyota 04152-YZZA6."""
        rng = self.rng
        group = PART_GROUPS[style][kind.key]
        if style == "vw":
            prefix = "06" + rng.choice("HKL") if kind.combustion_only else model_code
            suffix = rng.choice(("", "", "A", "B", "C", "D", "AB", "AC"))
            return f"{prefix}{group}{rng.randint(100, 999)}{suffix}"
        if style == "bmw":
            return f"{group}{rng.randint(1_000_000, 9_999_999)}"
        if style == "benz":
            return f"A{model_code}{group}{rng.randint(0, 9999):04d}"
        if style == "honda":
            return f"{group}-{model_code}-{rng.choice(('0', 'A', 'H'))}{rng.randint(0, 99):02d}"
        tail = "".join(rng.choice(PLATE_LETTERS + DIGITS) for _ in range(5))
        return f"{group}-{tail}"

    def _stock(self, unit: str, price: Decimal) -> dict[str, Decimal]:
        """Stock on hand per station: plenty of fluids and filters, few big items."""
        rng = self.rng
        if unit in ("升", "千克"):
            low, high = 40, 400
        elif price < 200:
            low, high = 6, 40
        elif price < 1000:
            low, high = 2, 12
        else:
            low, high = 0, 3
        return {s.code: Decimal(rng.randint(low, high)) for s in STATIONS}

    # -- customers -----------------------------------------------------------

    def customers(self, count: int) -> Iterator[CustomerRow]:
        while self._next_index < count:
            row = self._customer(self._next_index)
            self._next_index += 1
            yield row

    def _customer(self, index: int) -> CustomerRow:
        rng = self.rng
        station = STATIONS[index % len(STATIONS)]
        company = rng.random() < 0.03
        lifecycle = rng.choice(("owner", "club_vip")) if company else _weighted(rng, LIFECYCLES)
        name = self._company_name(station) if company else self._person_name()
        phone = self._unique(self._phones, self._mobile)
        email = self._email(phone)
        row = CustomerRow(
            index=index,
            station=station.code,
            name=name,
            phone=phone,
            phone2=self._phone2(station, company),
            email=email,
            address=self._address(station, company),
            birthday=None if company else self._birthday(lifecycle),
            preferred_channel="email" if email and rng.random() < 0.3 else _weighted(rng, CHANNELS),
            preferred_time=_weighted(rng, CONTACT_TIMES),
            marketing_consent=rng.random() < (0.9 if lifecycle in CLUB_TENURE_DAYS else 0.65),
            lifecycle=lifecycle,
            club_since=None,
            notes=f"公司车辆，联系人：{self._surname()}经理" if company else self._notes(),
        )
        row.vehicles = [self._vehicle(station) for _ in range(self._vehicle_count(lifecycle, company))]
        row.lifecycle, row.club_since = self._club(lifecycle, row.vehicles)
        if lifecycle != "potential" and not company:
            self._sellers[station.code].append(phone)
        return row

    def _surname(self) -> str:
        return self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]

    def _person_name(self) -> str:
        rng = self.rng
        chars = GIVEN_MALE if rng.random() < 0.62 else GIVEN_FEMALE  # most car owners on file are men
        given = "".join(rng.choice(chars) for _ in range(1 if rng.random() < 0.3 else 2))
        return self._surname() + given

    def _company_name(self, station: StationSpec) -> str:
        rng = self.rng
        return f"{station.city[:2]}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"

    def _mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _landline(self, station: StationSpec) -> str:
        rng = self.rng
        return f"{station.area_code}-{rng.choice(station.landline_starts)}{rng.randrange(10**7):07d}"

    def _phone2(self, station: StationSpec, company: bool) -> str:
        rng = self.rng
        if company:
            return f"{self._landline(station)}-8{rng.randint(0, 99):02d}"  # switchboard and extension
        draw = rng.random()
        if draw < 0.12:
            return self._landline(station)
        if draw < 0.17:
            return self._mobile()  # a second mobile, e.g. the spouse's; need not be unique
        return ""

    def _email(self, phone: str) -> str:
        rng = self.rng
        draw = rng.random()
        if draw < 0.1:
            return f"{rng.randint(10_000_000, 3_999_999_999)}@qq.com"
        if draw < 0.15:
            return f"{phone}@163.com"
        if draw < 0.18:
            return f"{phone}@139.com"
        return ""

    def _address(self, station: StationSpec, company: bool) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            return ""
        district, streets = rng.choice(station.districts)
        street, number = rng.choice(streets), rng.randint(1, 399)
        if company:
            return f"{station.city}{district}{street}{number}号 {rng.choice(COMPANY_WORDS)}大厦{rng.randint(2, 28)}层"
        return station.address_format.format(
            city=station.city,
            district=district,
            street=street,
            no=number,
            compound=rng.choice(COMPOUNDS),
            building=rng.randint(1, 24),
            unit=rng.randint(1, 6),
            room=rng.randint(1, 28) * 100 + rng.randint(1, 4),
        )

    def _birthday(self, lifecycle: str) -> dt.date | None:
        rng = self.rng
        # Club members give their birthday for the greeting; others often do not.
        if rng.random() >= (0.85 if lifecycle in CLUB_TENURE_DAYS else 0.55):
            return None
        age_days = rng.randint(23 * 365, 68 * 365)
        return CONTENT_ANCHOR - dt.timedelta(days=age_days)

    def _notes(self) -> str:
        return self.rng.choice(NOTES) if self.rng.random() < 0.06 else ""

    def _vehicle_count(self, lifecycle: str, company: bool) -> int:
        if lifecycle == "potential":
            return 0  # a prospect: no car on file yet
        if company:
            return self.rng.randint(2, 4)
        return self.rng.choices((1, 2, 3, 4), weights=(80, 16, 3, 1))[0]

    def _club(self, lifecycle: str, vehicles: list[VehicleRow]) -> tuple[str, dt.date | None]:
        """Club members joined after their first car; loyal and core members
        need their time in the club, or they are still plain members."""
        if lifecycle not in CLUB_TENURE_DAYS or not vehicles:
            return lifecycle, None
        first = min(v.transfer_date or v.sale_date for v in vehicles)
        latest = CONTENT_ANCHOR - dt.timedelta(days=CLUB_TENURE_DAYS[lifecycle])
        if first > latest:
            lifecycle, latest = "club", CONTENT_ANCHOR
        return lifecycle, _random_day(self.rng, first, latest)

    # -- vehicles ------------------------------------------------------------

    def _vehicle(self, station: StationSpec) -> VehicleRow:
        rng = self.rng
        model = rng.choices(MODELS, weights=MODEL_WEIGHTS)[0]
        years = range(model.first_year, CONTENT_ANCHOR.year + 1)
        year = rng.choices(years, weights=[YEAR_WEIGHTS[y] for y in years])[0]
        variant = rng.choice([v for v in model.variants if v.from_year <= year <= v.until_year])
        # Sold from the autumn before the model year to its end, never after the anchor.
        sale_date = _random_day(
            rng, dt.date(year - 1, 9, 1), min(dt.date(year, 12, 31), CONTENT_ANCHOR - dt.timedelta(days=7))
        )
        vehicle = VehicleRow(
            vin=self._unique(self._vins, lambda: self._vin(model, variant, year)),
            plate=self._unique(self._plates, lambda: self._plate(station, variant.energy)),
            engine_number=f"{variant.engine}{rng.randrange(10**6):06d}",
            make=model.make,
            model=model.model,
            model_year=year,
            variant=variant.name,
            colour=rng.choice(COLOURS[model.make]),
            sale_date=sale_date,
            warranty_end=add_years(sale_date, 3),
            readings=self._readings(sale_date),
        )
        self._maybe_used(station, vehicle)
        return vehicle

    def _vin(self, model: ModelSpec, variant: VariantSpec, year: int) -> str:
        rng = self.rng
        serial = f"{rng.randrange(10**6):06d}"
        return vin_with_check_digit(f"{model.wmi}{variant.vds}0{YEAR_CODES[year]}{rng.choice(model.plants)}{serial}")

    def _plate(self, station: StationSpec, energy: str) -> str:
        """Local plates mostly, some from the neighbouring provinces; green
        new-energy plates carry D (battery-electric) or F (plug-in hybrid)."""
        rng = self.rng
        province, letters = station.province, station.plate_letters
        if rng.random() < 0.06:
            province, letters = rng.choice(station.other_plates)
        office = rng.choice(letters)
        if energy:
            return f"{province}{office}{energy}{rng.choice(PLATE_LETTERS + DIGITS)}{rng.randrange(10**4):04d}"
        body = [rng.choice(DIGITS) for _ in range(5)]
        for position in rng.sample(range(5), rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            body[position] = rng.choice(PLATE_LETTERS)
        return f"{province}{office}{''.join(body)}"

    def _readings(self, sale_date: dt.date) -> list[ReadingRow]:
        """The delivery reading, then up to five visits or calls, at 10–20k km a year."""
        rng = self.rng
        per_day = rng.choices((6_000, rng.uniform(10_000, 20_000), 28_000), weights=(5, 90, 5))[0] / 365
        km = rng.randint(5, 60)
        readings = [ReadingRow(km, sale_date, "sale")]
        age = (CONTENT_ANCHOR - sale_date).days
        later = rng.randint(0, min(5, age // 120))
        previous_day = 0
        for day in sorted(rng.sample(range(30, age + 1), later)):
            km = max(km + 1, km + round((day - previous_day) * per_day * rng.uniform(0.8, 1.2)))
            previous_day = day
            readings.append(ReadingRow(km, sale_date + dt.timedelta(days=day), _weighted(rng, ODOMETER_SOURCES)))
        return readings

    def _maybe_used(self, station: StationSpec, vehicle: VehicleRow) -> None:
        """About 3 % of the cars changed hands: the seller is an earlier
        customer of the same station, whose ownership ended on the transfer."""
        rng = self.rng
        age = (CONTENT_ANCHOR - vehicle.sale_date).days
        sellers = self._sellers[station.code]
        if age < 500 or not sellers or rng.random() >= 0.04:
            return
        vehicle.previous_owner_phone = rng.choice(sellers)
        vehicle.transfer_date = vehicle.sale_date + dt.timedelta(days=rng.randint(365, age - 60))

    def _unique(self, seen: set[str], draw: Callable[[], str]) -> str:
        """Draw until the value is new; the redraws are part of the fixed stream."""
        value = draw()
        while value in seen:
            value = draw()
        seen.add(value)
        return value
