"""Complaint categories (投诉举报类别) and hot-lines; also the Open311 service list."""

from __future__ import annotations

HOTLINES = ("12315", "12345", "12365", "12331", "12358")

# code → (Chinese name, description); codes are also the Open311 service_code.
CATEGORIES: dict[str, tuple[str, str]] = {
    "food_safety": ("食品安全", "食品、餐饮服务安全问题 / food and catering safety"),
    "drugs": ("药品医疗器械", "药品、医疗器械、化妆品 / drugs, medical devices, cosmetics"),
    "product_quality": ("产品质量", "产品质量、计量、标准 / product quality and metrology"),
    "special_equipment": ("特种设备", "电梯、锅炉等特种设备安全 / lifts, boilers and other special equipment"),
    "price": ("价格", "价格违法、乱收费 / unlawful prices and fees"),
    "unlicensed": ("无照经营", "无照、无证经营 / trading without a licence"),
    "advertising": ("虚假广告", "虚假违法广告 / false advertising"),
    "consumer_dispute": ("消费纠纷", "消费者权益纠纷 / consumer disputes"),
    "other": ("其他", "其他市场监管事项 / anything else"),
}


def category_name(code: str | None) -> str | None:
    return CATEGORIES[code][0] if code in CATEGORIES else None
