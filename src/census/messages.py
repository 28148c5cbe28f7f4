"""Texts a person reads for every error code of `census.errors`, in zh-CN and English.

The Chinese texts use the words of the census staff's own guide: 普查员, 普查指导员,
管辖区域, 我的查询, 绿码, 黄码 and 红码. Each code has one or more templates per
language, most specific first, and `message` uses the first one whose parameters are
all given. Some codes also have variants for one parameter's value, such as
`INVALID_METER_NUMBER` with `problem="check_digit"`.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from typing import Any

ZH_CN = "zh-CN"
EN = "en"
LANGUAGES = (ZH_CN, EN)

# The parameter whose value selects a variant, keyed "CODE.value" in _TEXTS.
_VARIANT_PARAMS = {
    "INVALID_METER_NUMBER": "problem",
    "INVALID_ID_NUMBER": "problem",
    "METER_NOT_IN_SERVICE": "status",
    "QUOTA_EXHAUSTED": "limit_name",
}

_CONTACT_OFFICE_ZH = "请联系当地普查机构"
_METER_LENGTHS_ZH = "表号应为22位（电能表）、16位（燃气表）或14位（水表）数字"

_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "INTERNAL_ERROR": {
        ZH_CN: (f"服务暂时出现问题，请稍后再试。如问题持续，{_CONTACT_OFFICE_ZH}。",),
        EN: (
            "Something went wrong on our side. Try again later, and contact the local census office "
            "if the problem continues.",
        ),
    },
    "INVALID_BODY": {
        ZH_CN: (
            "提交的内容有误（字段 {field}：{problem}），请检查后重试。",
            "提交的内容有误（字段 {field}），请检查后重试。",
            "提交的内容有误，请检查后重试。",
        ),
        EN: (
            "The request is invalid (field {field}: {problem}). Check it and try again.",
            "The request is invalid (field {field}). Check it and try again.",
            "The request is invalid. Check it and try again.",
        ),
    },
    "INVALID_METER_NUMBER": {
        ZH_CN: (f"表号格式不正确。{_METER_LENGTHS_ZH}，请输入条形码下方的编号。",),
        EN: (
            "The meter number is invalid. It has 22 (electricity), 16 (gas) or 14 (water) digits: "
            "enter the number printed under the barcode.",
        ),
    },
    "INVALID_METER_NUMBER.length": {
        ZH_CN: (
            f"表号位数不对：您输入了{{length}}位。{_METER_LENGTHS_ZH}，请核对条形码下方的编号。",
            f"表号位数不对。{_METER_LENGTHS_ZH}，请核对条形码下方的编号。",
        ),
        EN: (
            "The meter number has {length} digits, expected {expected}. "
            "Check the number printed under the barcode.",
            "The meter number has the wrong number of digits, expected 22, 16 or 14. "
            "Check the number printed under the barcode.",
        ),
    },
    "INVALID_METER_NUMBER.characters": {
        ZH_CN: ("表号只能包含数字。请输入条形码下方的编号，不要输入字母或符号。",),
        EN: (
            "A meter number contains only digits. Enter the number printed under the barcode, "
            "without letters or symbols.",
        ),
    },
    "INVALID_METER_NUMBER.check_digit": {
        ZH_CN: (
            "表号校验位不正确，可能输错了某一位数字。请核对条形码下方的编号后重新输入，或直接扫描条形码。",
        ),
        EN: (
            "The meter number's check digit does not match, so a digit was probably mistyped. "
            "Check the number under the barcode and enter it again, or scan the barcode.",
        ),
    },
    "INVALID_ID_NUMBER": {
        ZH_CN: ("身份证号格式不正确，请核对后重新输入。",),
        EN: ("The ID number is invalid. Check it and enter it again.",),
    },
    "INVALID_ID_NUMBER.length": {
        ZH_CN: ("身份证号应为18位，请核对后重新输入。",),
        EN: ("An ID number has 18 characters. Check it and enter it again.",),
    },
    "INVALID_ID_NUMBER.characters": {
        ZH_CN: ("身份证号应为17位数字加1位数字或字母X，请核对后重新输入。",),
        EN: ("An ID number is 17 digits followed by a digit or the letter X. Check it and enter it again.",),
    },
    "INVALID_ID_NUMBER.check_digit": {
        ZH_CN: ("身份证号校验位不正确，可能输错了某一位，请核对后重新输入。",),
        EN: (
            "The ID number's check digit does not match, so a character was probably mistyped. "
            "Check it and enter it again.",
        ),
    },
    "INVALID_ID_NUMBER.birth_date": {
        ZH_CN: ("身份证号中的出生日期不正确，请核对后重新输入。",),
        EN: ("The birth date in the ID number is not a valid date. Check the number and enter it again.",),
    },
    "NOT_VERIFIED": {
        ZH_CN: ("请先完成实名认证：输入普查员管理系统中登记的姓名和身份证号。",),
        EN: (
            "Complete real-name verification first: enter your name and ID number as registered "
            "in the census enumerator management system.",
        ),
    },
    "PHONE_NOT_VERIFIED": {
        ZH_CN: ("无法确认您登录使用的手机号。请使用普查员管理系统中登记的手机号重新登录。",),
        EN: (
            "Your sign-in phone number could not be confirmed. Sign in again with the phone number "
            "registered in the census enumerator management system.",
        ),
    },
    "VERIFICATION_MISMATCH": {
        ZH_CN: (
            f"姓名或身份证号与普查员管理系统中登记的信息不一致，{_CONTACT_OFFICE_ZH}核实。"
            "今天还可尝试{attempts_left}次。",
            f"姓名或身份证号与普查员管理系统中登记的信息不一致，{_CONTACT_OFFICE_ZH}核实。",
        ),
        EN: (
            "Your name or ID number does not match the census roster. Contact the local census office "
            "to check your registration. Attempts left today: {attempts_left}.",
            "Your name or ID number does not match the census roster. Contact the local census office "
            "to check your registration.",
        ),
    },
    "ALREADY_BOUND": {
        ZH_CN: (f"该普查人员信息已绑定其他账号。如需更换手机号或账号，{_CONTACT_OFFICE_ZH}。",),
        EN: (
            "This roster entry is already linked to another account. To change your phone number or "
            "account, contact the local census office.",
        ),
    },
    "PERSON_INACTIVE": {
        ZH_CN: (
            f"您的工作期限为{{active_from}}至{{active_to}}，当前不在期限内。如有疑问，{_CONTACT_OFFICE_ZH}。",
            f"当前不在您的工作期限内。如有疑问，{_CONTACT_OFFICE_ZH}。",
        ),
        EN: (
            "Your census assignment runs from {active_from} to {active_to}, and today is outside it. "
            "Contact the local census office if this is wrong.",
            "Today is outside the dates of your census assignment. Contact the local census office "
            "if this is wrong.",
        ),
    },
    "VERIFICATION_LOCKED": {
        ZH_CN: (
            "实名认证失败次数过多，已暂时锁定，请于{unlocks_at}后再试。",
            "实名认证失败次数过多，已暂时锁定，请明天再试。",
        ),
        EN: (
            "Too many failed verifications. Verification is locked until {unlocks_at}.",
            "Too many failed verifications. Verification is locked until tomorrow.",
        ),
    },
    "METER_NOT_FOUND": {
        ZH_CN: ("未找到该表号的登记信息。请核对条形码下方的编号后重试。",),
        EN: ("No meter is registered under this number. Check the number under the barcode and try again.",),
    },
    "METER_OUTSIDE_AREA": {
        ZH_CN: (f"该表计不在您的管辖区域内，无法查询。如管辖区域有误，{_CONTACT_OFFICE_ZH}更正。",),
        EN: (
            "This meter is outside your assigned areas, so it cannot be queried. If your areas are wrong, "
            "contact the local census office to correct them.",
        ),
    },
    "METER_NOT_RESIDENTIAL": {
        ZH_CN: ("该表计不属于居民用户，无法查询居家情况。",),
        EN: ("This meter does not belong to a residential customer, so it cannot be queried.",),
    },
    "METER_NOT_IN_SERVICE": {
        ZH_CN: ("该表计已不在使用中，无法查询居家情况。",),
        EN: ("This meter is no longer in service, so it cannot be queried.",),
    },
    "METER_NOT_IN_SERVICE.removed": {
        ZH_CN: ("该表计已拆除，无法查询居家情况。",),
        EN: ("This meter has been removed, so it cannot be queried.",),
    },
    "METER_NOT_IN_SERVICE.terminated": {
        ZH_CN: ("该户已销户，无法查询居家情况。",),
        EN: ("The supply of this meter has been terminated, so it cannot be queried.",),
    },
    "NO_CONSUMPTION_DATA": {
        ZH_CN: ("该表计所在地区暂无用能数据，无法给出绿码、黄码或红码。请稍后再试。",),
        EN: (
            "No consumption data has been published for this meter's area yet, so no green, yellow "
            "or red code can be given. Try again later.",
        ),
    },
    "QUOTA_EXHAUSTED": {
        ZH_CN: ("查询次数已达上限，请于{resets_at}后再试。", "查询次数已达上限。"),
        EN: (
            "A query limit has been reached. Try again after {resets_at}.",
            "A query limit has been reached.",
        ),
    },
    "QUOTA_EXHAUSTED.person_homes": {
        ZH_CN: (
            "您最多可查询{limit}户，已全部用完。“我的查询”中已查询过的户可继续查询，不占用次数。",
            "您可查询的户数已用完。“我的查询”中已查询过的户可继续查询，不占用次数。",
        ),
        EN: (
            "You have queried the maximum of {limit} homes. Homes already in your query list can "
            "still be queried at no cost.",
            "You have queried the maximum number of homes. Homes already in your query list can "
            "still be queried at no cost.",
        ),
    },
    "QUOTA_EXHAUSTED.home_people": {
        ZH_CN: ("该户已被{limit}名普查员或普查指导员查询过，已达上限。", "该户被查询的人数已达上限。"),
        EN: (
            "This home has already been queried by the maximum of {limit} people.",
            "This home has already been queried by the maximum number of people.",
        ),
    },
    "QUOTA_EXHAUSTED.meter_daily": {
        ZH_CN: (
            "该表计今天已被查询{limit}次，已达上限，请于{resets_at}后再试。",
            "该表计今天已被查询{limit}次，已达上限，请明天再试。",
            "该表计今天的查询次数已达上限，请明天再试。",
        ),
        EN: (
            "This meter has been queried {limit} times today, the daily maximum. "
            "Try again after {resets_at}.",
            "This meter has been queried {limit} times today, the daily maximum. Try again tomorrow.",
            "This meter has reached its daily query maximum. Try again tomorrow.",
        ),
    },
    "OUTSIDE_SERVICE_WINDOW": {
        ZH_CN: ("当前不在服务时间内。服务时间为{window_start}至{window_end}。", "当前不在服务时间内。"),
        EN: (
            "The service is open from {window_start} to {window_end}, and today is outside that period.",
            "Today is outside the service period.",
        ),
    },
    "IDEMPOTENCY_KEY_REUSED": {
        ZH_CN: ("该请求编号（Idempotency-Key）已用于另一个不同的请求。请为新的请求使用新的编号。",),
        EN: (
            "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
        ),
    },
    "REQUEST_IN_PROGRESS": {
        ZH_CN: ("同一请求正在处理中，请稍候几秒再查看结果。",),
        EN: ("The same request is still being processed. Wait a few seconds and try again.",),
    },
    "NOT_SUPERVISOR": {
        ZH_CN: ("此功能仅限普查指导员使用。",),
        EN: ("Only census supervisors can use this function.",),
    },
    "NOT_ADMIN": {
        ZH_CN: ("此功能仅限普查机构管理员使用。",),
        EN: ("Only census office administrators can use this function.",),
    },
    "NOT_FOUND": {
        ZH_CN: ("未找到请求的内容。",),
        EN: ("The requested item was not found.",),
    },
}


def text_keys() -> list[str]:
    """Return every code and variant key that has texts, such as "QUOTA_EXHAUSTED.meter_daily"."""
    return list(_TEXTS)


def templates(key: str, language: str) -> tuple[str, ...]:
    """Return the templates of a code or variant key in a language, most specific first.

    Raises KeyError for a key or language without texts.
    """
    return _TEXTS[key][language]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _display(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def message(code: str, language: str, **params: Any) -> str:
    """Return the text for an error code in `language`, filled in from `params`.

    A language other than "en" gets zh-CN. A code without texts gets the text of
    INTERNAL_ERROR, so that an error response always has a message. Dates are
    written as YYYY-MM-DD and datetimes as YYYY-MM-DD HH:MM, in the zone they carry.
    """
    language = EN if language == EN else ZH_CN
    variant_param = _VARIANT_PARAMS.get(code)
    keys = [f"{code}.{params[variant_param]}"] if variant_param in params else []
    keys += [code, "INTERNAL_ERROR"]
    texts = next(_TEXTS[key] for key in keys if key in _TEXTS)

    formatted = {name: _display(value) for name, value in params.items()}
    for template in texts[language]:
        if _fields(template) <= formatted.keys():
            return template.format(**formatted)
    # Every code's last template has no parameters, which the unit tests check.
    return texts[language][-1]


def pick_language(accept_language: str | None) -> str:
    """Return "en" when an Accept-Language header prefers English to Chinese, else "zh-CN".

    Only "en" and "zh" ranges count, compared by their quality values, and on a tie
    the one listed first wins. A missing or unreadable header gives "zh-CN".
    """
    if not accept_language:
        return ZH_CN
    best_language, best_quality = ZH_CN, 0.0
    for entry in accept_language.split(","):
        tag, _, parameters = entry.partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("en", "zh"):
            continue
        quality = _quality(parameters)
        if quality > best_quality:
            best_language, best_quality = (EN if primary == "en" else ZH_CN), quality
    return best_language


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
