"""Default wording of the automated messages, per kind × channel × language.

These are data, not interface strings: each entry is a Django template
rendered with customer, vehicle, dealer, task, due_date, appointment, source
and sign (the SMS signature: SMS_SIGN or the station's name). A station
overrides any entry with a MessageTemplate row; a row without a station
overrides it for every station (followup.messaging.rendering).

Each kind has one core sentence per language; the channel's frame adds the
greeting and the sign: SMS short, with the 【sign】 first as Chinese gateways
require; e-mail with the station's contact lines; a letter in the formal
shape of a Chinese business letter (此致 敬礼), the printout adds the station
and the date below it.
"""

from __future__ import annotations

from followup.models import Channel, Kind

ZH, EN = "zh-hans", "en"
LANGUAGES = (ZH, EN)
CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.LETTER)

# Snippets the cores share.
_CAR_ZH = "您的爱车{% if vehicle.plate %}（{{ vehicle.plate }}）{% endif %}"
_CAR_EN = "your car{% if vehicle.plate %} ({{ vehicle.plate }}){% endif %}"
_CAR_EN_CAP = "Your car{% if vehicle.plate %} ({{ vehicle.plate }}){% endif %}"
_PHONE_ZH = '{{ dealer.phone|default:"服务热线" }}'
_PHONE_EN = '{{ dealer.phone|default:"our service line" }}'
_ARRIVAL_ZH = '{{ appointment.arrives_at|date:"n月j日 H:i" }}'
_ARRIVAL_EN = '{{ appointment.arrives_at|date:"j M, H:i" }}'

_CONFIRMATION = {
    ZH: (
        "预约确认",
        f"温馨提示：您已预约于{_ARRIVAL_ZH}到{{{{ dealer.name }}}}为{_CAR_ZH}进行维修保养，我们已为您做好准备，"
        f"请准时到店。如需改期，请致电{_PHONE_ZH}。",
    ),
    EN: (
        "Your appointment",
        f"A reminder of your appointment at {{{{ dealer.name }}}} on {_ARRIVAL_EN} for {_CAR_EN}. "
        f"Everything is being prepared for you. To change the time, please call {_PHONE_EN}.",
    ),
}
_WARRANTY = {
    ZH: (
        "质保到期提醒",
        f'{_CAR_ZH}的整车质保将于{{{{ due_date|date:"Y年n月j日" }}}}到期。建议您在到期前到店进行一次全面检查，'
        f"质保范围内的问题可免费处理。预约电话：{_PHONE_ZH}。",
    ),
    EN: (
        "Your warranty ends soon",
        f'The warranty of {_CAR_EN} ends on {{{{ due_date|date:"j F Y" }}}}. Let us check the car before then: '
        f"anything covered by the warranty is repaired free of charge. To book, please call {_PHONE_EN}.",
    ),
}

# kind -> language -> (subject, core sentence)
CORES: dict[str, dict[str, tuple[str, str]]] = {
    Kind.CONFIRMATION_72H: _CONFIRMATION,
    Kind.CONFIRMATION_24H: _CONFIRMATION,
    Kind.CONFIRMATION_1H: _CONFIRMATION,
    Kind.NO_SHOW: {
        ZH: (
            "未能如约到店",
            f"我们在{_ARRIVAL_ZH}没有等到您和{_CAR_ZH}，不知是否一切安好？如需重新预约，请致电{_PHONE_ZH}，"
            "我们将为您另行安排。",
        ),
        EN: (
            "We missed you",
            f"We missed you at your appointment on {_ARRIVAL_EN}. To book a new time, please call {_PHONE_EN}.",
        ),
    },
    Kind.PREPARATION_PROBLEM: {
        ZH: (
            "关于您的预约",
            f"关于您{_ARRIVAL_ZH}的预约：所需备件或代步车暂时未能到位。为免您白跑一趟，请致电{_PHONE_ZH}"
            "与我们确认到店时间。",
        ),
        EN: (
            "About your appointment",
            f"About your appointment on {_ARRIVAL_EN}: a part or the courtesy car it needs is not ready yet. "
            f"Please call {_PHONE_EN} so that we can agree the best time for you to come.",
        ),
    },
    Kind.PARTS_ARRIVED: {
        ZH: ("备件到货通知", f"您为{_CAR_ZH}订购的备件已到货，请致电{_PHONE_ZH}预约安装时间。"),
        EN: (
            "Your parts have arrived",
            f"The parts ordered for {_CAR_EN} have arrived. Please call {_PHONE_EN} to book the fitting.",
        ),
    },
    Kind.DELAY: {
        ZH: (
            "交车时间变更",
            f"非常抱歉，{_CAR_ZH}的维修未能在原定时间完成。服务顾问将尽快与您联系，确认新的交车时间。",
        ),
        EN: (
            "A new time for your car",
            f"We are sorry: the work on {_CAR_EN} will not be finished at the promised time. "
            "Your service advisor will contact you to agree a new time.",
        ),
    },
    Kind.CALLBACK: {
        ZH: (
            "服务回访",
            f"感谢您近日光临{{{{ dealer.name }}}}！{_CAR_ZH}使用情况如何？如对本次服务有任何意见或建议，"
            f"欢迎致电{_PHONE_ZH}，我们将第一时间为您处理。",
        ),
        EN: (
            "How was your visit?",
            f"Thank you for your recent visit to {{{{ dealer.name }}}}. Is {_CAR_EN} running well? "
            f"If anything about our service was not right, please call {_PHONE_EN}: we will deal with it at once.",
        ),
    },
    Kind.SURVEY_ESCALATION: {
        ZH: (
            "感谢您的宝贵意见",
            "感谢您对本次服务提出的宝贵意见，我们非常重视。服务经理将在24小时内与您联系，给您带来不便，敬请谅解。",
        ),
        EN: (
            "Thank you for telling us",
            "Thank you for telling us what was not right. We take it seriously: the service manager will "
            "contact you within 24 hours. We apologise for the trouble.",
        ),
    },
    Kind.FIRST_MAINTENANCE: {
        ZH: (
            "首次保养提醒",
            f"{_CAR_ZH}已到首次保养时间。按时首保可使爱车保持最佳状态，也是享受质保的重要条件。"
            f"请致电{_PHONE_ZH}预约，到店无需等待。",
        ),
        EN: (
            "Time for the first service",
            f"{_CAR_EN_CAP} is due for its first service. Servicing on time keeps the car at its best and "
            f"keeps the warranty valid. Please call {_PHONE_EN} to book: no waiting when you arrive.",
        ),
    },
    Kind.SCHEDULED_MAINTENANCE: {
        ZH: (
            "定期保养提醒",
            f'根据保养记录，{_CAR_ZH}预计将于{{{{ due_date|date:"n月j日" }}}}前后到达保养期限。请提前预约，'
            f"到店无需等待。预约电话：{_PHONE_ZH}。",
        ),
        EN: (
            "Your car's next service",
            f'By its service record, {_CAR_EN} will be due for a service around {{{{ due_date|date:"j F" }}}}. '
            f"Book ahead and there is no waiting: please call {_PHONE_EN}.",
        ),
    },
    Kind.WARRANTY_FIRST: _WARRANTY,
    Kind.WARRANTY_SECOND: _WARRANTY,
    Kind.DORMANT: {
        ZH: (
            "诚邀您回站免费检测",
            f"{_CAR_ZH}已有一段时间没有回站保养了。{{{{ dealer.name }}}}诚邀您到店享受免费检测，"
            f"为您的行车安全保驾护航。预约电话：{_PHONE_ZH}。",
        ),
        EN: (
            "A free check for your car",
            f"We have not seen {_CAR_EN} for a while. {{{{ dealer.name }}}} invites you for a free check, "
            f"for your safety on the road. To book, please call {_PHONE_EN}.",
        ),
    },
    Kind.LOST: {
        ZH: (
            "好久不见",
            f"好久不见！{_CAR_ZH}近来可好？我们一直期待再次为您服务，欢迎您回站享受免费检测。"
            f"如您对我们的服务有任何意见，也欢迎致电{_PHONE_ZH}告诉我们。",
        ),
        EN: (
            "We miss you",
            f"It has been a long time! How is {_CAR_EN}? We would be glad to serve you again and invite you "
            f"for a free check. If we let you down, please call {_PHONE_EN} and tell us.",
        ),
    },
    Kind.DECLINED_WORK: {
        ZH: (
            "维修建议提醒",
            f"上次到店时技师为{_CAR_ZH}建议的维修项目即将到期，为了您的行车安全，建议近期到店处理。"
            f"预约电话：{_PHONE_ZH}。",
        ),
        EN: (
            "Recommended work falls due",
            f"The work our technician recommended for {_CAR_EN} at your last visit falls due soon. "
            f"For your safety, please have it done: call {_PHONE_EN} to book.",
        ),
    },
    Kind.NEW_OWNER: {
        ZH: (
            "新车用户关怀",
            f"感谢您选择{{{{ dealer.name }}}}，恭喜您喜提爱车！请留意：新车购买后"
            f"{{{{ dealer.first_maintenance_months }}}}个月请到店进行首次保养。如有任何问题，请致电{_PHONE_ZH}。",
        ),
        EN: (
            "Welcome to {{ dealer.name }}",
            "Thank you for choosing {{ dealer.name }}, and congratulations on your new car! Its first service "
            f"is due {{{{ dealer.first_maintenance_months }}}} months after the sale. Any question: please call {_PHONE_EN}.",
        ),
    },
    Kind.BIRTHDAY: {
        ZH: ("生日快乐", "今天是您的生日，{{ dealer.name }}全体员工祝您生日快乐，身体健康，万事如意，行车平安！"),
        EN: (
            "Happy birthday",
            "Everyone at {{ dealer.name }} wishes you a happy birthday, good health and safe journeys!",
        ),
    },
    Kind.CAMPAIGN: {
        ZH: (
            "{{ task.campaign.name|default:'服务活动' }}",
            "{{ dealer.name }}{% if task.campaign %}“{{ task.campaign.name }}”{% endif %}服务活动正在进行中"
            "{% if task.campaign.description %}：{{ task.campaign.description }}{% endif %}。"
            f"欢迎预约到店，预约电话：{_PHONE_ZH}。",
        ),
        EN: (
            "{{ task.campaign.name|default:'Service campaign' }}",
            "{% if task.campaign %}{{ task.campaign.name }}: {% endif %}a service campaign is running at "
            "{{ dealer.name }}{% if task.campaign.description %}: {{ task.campaign.description }}{% endif %}. "
            f"To book, please call {_PHONE_EN}.",
        ),
    },
}

_CONTACT_ZH = "{% if dealer.phone %}\n服务热线：{{ dealer.phone }}{% endif %}{% if dealer.address %}\n地址：{{ dealer.address }}{% endif %}"
_CONTACT_EN = "{% if dealer.phone %}\nPhone: {{ dealer.phone }}{% endif %}{% if dealer.address %}\n{{ dealer.address }}{% endif %}"

# (channel, language) -> (subject frame, body frame); "{subject}" and "{core}" are replaced.
FRAMES: dict[tuple[str, str], tuple[str, str]] = {
    (Channel.SMS, ZH): ("", "【{{ sign }}】尊敬的{{ customer.name }}先生/女士：{core}"),
    (Channel.SMS, EN): ("", "[{{ sign }}] Dear {{ customer.name }}, {core}"),
    (Channel.EMAIL, ZH): (
        "{subject} | {{ sign }}",
        "尊敬的{{ customer.name }}先生/女士：\n\n您好！{core}\n\n{{ sign }}" + _CONTACT_ZH,
    ),
    (Channel.EMAIL, EN): (
        "{subject} | {{ sign }}",
        "Dear {{ customer.name }},\n\n{core}\n\nKind regards,\n{{ sign }}" + _CONTACT_EN,
    ),
    (Channel.LETTER, ZH): (
        "{subject}",
        "尊敬的{{ customer.name }}先生/女士：\n\n您好！{core}\n\n感谢您一直以来对{{ dealer.name }}的信任与支持。\n\n此致\n敬礼！",
    ),
    (Channel.LETTER, EN): (
        "{subject}",
        "Dear {{ customer.name }},\n\n{core}\n\nThank you for your trust in {{ dealer.name }}.\n\nYours sincerely,",
    ),
}


def default(kind: str, channel: str, language: str) -> tuple[str, str]:
    """(subject, body) templates for a kind, channel and language; a language
    without texts falls back to Chinese, the product's first language."""
    cores = CORES[kind]
    language = language if language in cores else ZH
    subject, core = cores[language]
    subject_frame, body_frame = FRAMES[(channel, language)]
    return subject_frame.replace("{subject}", subject), body_frame.replace("{core}", core)


DEFAULTS: dict[tuple[str, str, str], tuple[str, str]] = {
    (kind, channel, language): default(kind, channel, language)
    for kind in Kind.values
    for channel in CHANNELS
    for language in LANGUAGES
}
