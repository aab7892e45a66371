"""What each kind of import holds: its fields (with the headers departments use), table and natural key.

Field types are checked by ``importer.validate``; ``synonyms`` are matched after
``importer.mapping.normalize_header`` (full-width folded, spaces, ``*`` and bracketed units
removed), so "罚款金额（元）" and "罚款金额" are the same header. docs/IMPORT.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # column of the target table (or a reference resolved on load, such as uscc → enterprise_id)
    type: str  # text, uscc, date, amount, amount_10k, int, year, lon, lat, status, industry_code, credit_kind,
    #            poi_kind, staff_role, grid_codes, bool
    required: bool = False
    synonyms: tuple[str, ...] = ()
    max_len: int | None = None


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # natural key inside the file (and in the table, after references resolve)
    geometry: str | None = None  # "point" (lon/lat or point features) or "polygon" (building footprints)
    label_zh: str = ""

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


LON = Field("lon", "lon", synonyms=("经度", "lon", "lng", "longitude", "x", "x坐标", "横坐标", "经度坐标"))
LAT = Field("lat", "lat", synonyms=("纬度", "lat", "latitude", "y", "y坐标", "纵坐标", "纬度坐标"))
USCC = Field("uscc", "uscc", True, ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "uscc",
                                    "注册号/统一社会信用代码", "统一社会信用代码/注册号", "主体代码"))

ENTERPRISES = Kind("enterprises", "enterprise", (
    USCC,
    Field("name", "text", True, ("企业名称", "名称", "主体名称", "市场主体名称", "单位名称", "字号名称",
                                 "个体户名称", "企业(机构)名称"), 200),
    Field("short_name", "text", False, ("简称", "企业简称", "店招名称", "招牌名称"), 100),
    Field("entity_type", "text", False, ("企业类型", "主体类型", "市场主体类型", "类型", "组织形式"), 16),
    Field("industry_code", "industry_code", False, ("行业代码", "国民经济行业代码", "行业门类代码",
                                                   "国民经济行业分类代码")),
    Field("industry_label", "text", False, ("行业", "行业名称", "所属行业", "国民经济行业", "行业分类"), 100),
    Field("category", "text", False, ("重点行业", "特殊行业", "行业类别"), 16),
    Field("status", "status", True, ("登记状态", "经营状态", "企业状态", "状态", "主体状态")),
    Field("established_on", "date", False, ("成立日期", "注册日期", "设立日期", "开业日期", "成立时间")),
    Field("registered_capital_10k", "amount_10k", False, ("注册资本", "注册资金", "出资额", "资金数额")),
    Field("legal_rep", "text", False, ("法定代表人", "法人", "负责人", "经营者", "投资人", "执行事务合伙人",
                                       "法定代表人/负责人"), 100),
    Field("registered_address", "text", False, ("注册地址", "住所", "住所/经营场所", "注册地", "登记住所",
                                                "地址", "住所(经营场所)"), 500),
    Field("operating_address", "text", False, ("经营场所", "经营地址", "实际经营地址", "经营场所地址",
                                               "生产经营地址"), 500),
    LON, LAT,
), key=("uscc",), geometry="point", label_zh="市场主体")

CREDIT_RECORDS = Kind("credit-records", "credit_record", (
    USCC,
    Field("kind", "credit_kind", True, ("信用记录类型", "记录类型", "类型", "类别", "事项类型", "信息类别")),
    Field("decided_on", "date", True, ("处罚决定日期", "决定日期", "作出决定日期", "列入日期", "认定日期",
                                       "处罚日期", "日期", "投诉日期", "登记日期")),
    Field("removed_on", "date", False, ("移出日期", "撤销日期", "信用修复日期", "解除日期")),
    Field("amount_yuan", "amount", False, ("罚款金额", "罚没金额", "罚没款金额", "处罚金额", "金额")),
    Field("department", "text", False, ("处罚机关", "决定机关", "作出决定机关", "来源部门", "部门", "认定机关"), 100),
    Field("severity", "text", False, ("严重程度", "情节", "违法情节"), 16),
    Field("document_no", "text", False, ("处罚决定书文号", "决定书文号", "文书号", "文号", "案号"), 100),
    Field("description", "text", False, ("违法行为", "处罚事由", "主要违法事实", "事由", "说明", "内容",
                                         "处罚内容"), 2000),
), key=("uscc", "kind", "decided_on", "document_no"), label_zh="信用记录")

ADDRESSES = Kind("addresses", "address_entry", (
    Field("standard_text", "text", True, ("标准地址", "地址", "详细地址", "标准地址名称", "地址全称"), 500),
    Field("district", "text", False, ("区县", "区", "所属区县"), 32),
    Field("town", "text", False, ("街道", "镇街", "乡镇", "街道(镇)", "所属街道"), 32),
    Field("community", "text", False, ("社区", "村居", "社区(村)", "所属社区"), 64),
    Field("road", "text", False, ("道路", "街路巷", "路名", "道路名称"), 64),
    Field("road_no", "text", False, ("门牌号", "门牌", "门牌号码"), 16),
    Field("poi_name", "text", False, ("小区", "楼宇名称", "小区/楼宇", "建筑物名称"), 200),
    Field("building_no", "text", False, ("楼栋号", "栋", "楼栋", "幢"), 16),
    Field("unit_no", "text", False, ("单元", "单元号"), 16),
    Field("floor_no", "text", False, ("楼层", "层"), 16),
    Field("room_no", "text", False, ("房号", "室", "户室号", "房间号"), 16),
    Field("street_code", "text", False, ("街道代码", "镇街代码"), 12),
    Field("community_code", "text", False, ("社区代码", "村居代码"), 12),
    Field("building_id", "int", False, ("建筑物编号", "楼栋编号", "建筑编号", "building_id")),
    LON, LAT,
), key=("standard_text",), geometry="point", label_zh="标准地址")

BUILDINGS = Kind("buildings", "building", (
    Field("address_text", "text", True, ("建筑地址", "楼宇地址", "地址", "门牌地址", "address"), 500),
    Field("name", "text", False, ("建筑名称", "楼宇名称", "名称", "建筑物名称", "name"), 200),
    Field("use", "text", False, ("用途", "建筑用途", "use"), 32),
    Field("floors", "int", False, ("层数", "地上层数", "楼层数", "floors")),
    Field("height_m", "amount", False, ("高度", "建筑高度", "height_m", "height")),
    Field("floor_area_m2", "amount", False, ("建筑面积", "总建筑面积", "floor_area")),
    Field("street_code", "text", False, ("街道代码", "镇街代码"), 12),
    Field("community_code", "text", False, ("社区代码", "村居代码"), 12),
    Field("wkt", "text", False, ("几何", "wkt", "geometry", "轮廓", "轮廓wkt")),
), key=("address_text",), geometry="polygon", label_zh="建筑")

ECONOMY = Kind("economy", "building_economy", (
    Field("building_id", "int", True, ("楼宇编号", "建筑编号", "建筑物编号", "楼宇id", "building_id")),
    Field("year", "year", True, ("年度", "年份", "统计年度", "year")),
    Field("output_value_10k", "amount", False, ("产值", "总产值", "营业收入", "产值(万元)")),
    Field("employment", "int", False, ("从业人员", "从业人数", "就业人数", "员工人数")),
    Field("tax_10k", "amount", False, ("税收", "纳税额", "税收总额", "入库税收")),
    Field("entity_count", "int", False, ("企业数", "入驻企业数", "市场主体数", "主体数量")),
), key=("building_id", "year"), label_zh="楼宇经济")

POIS = Kind("pois", "poi", (
    Field("kind", "poi_kind", True, ("类型", "类别", "场所类型", "kind")),
    Field("name", "text", True, ("名称", "场所名称", "学校名称", "单位名称", "name"), 200),
    Field("address_text", "text", False, ("地址", "详细地址", "address"), 500),
    Field("source", "text", False, ("来源", "数据来源", "source"), 32),
    Field("source_id", "text", False, ("来源编号", "原编号", "source_id"), 64),
    Field("street_code", "text", False, ("街道代码", "镇街代码"), 12),
    LON, LAT,
), key=("kind", "name"), geometry="point", label_zh="敏感场所")

STAFF = Kind("staff", "staff", (
    Field("staff_no", "text", True, ("工号", "人员编号", "执法证号", "编号", "staff_no"), 32),
    Field("name", "text", True, ("姓名", "人员姓名", "name"), 100),
    Field("department", "text", True, ("部门", "所属部门", "科室", "单位", "department"), 100),
    Field("role", "staff_role", True, ("角色", "岗位", "职责", "role")),
    Field("phone", "text", False, ("电话", "联系电话", "手机", "手机号", "phone"), 32),
    Field("grid_codes", "grid_codes", False, ("负责网格", "网格", "网格编码", "所属网格", "grid_codes")),
    Field("active", "bool", False, ("在岗", "是否在岗", "状态", "active")),
), key=("staff_no",), label_zh="监管人员")

KINDS = {k.name: k for k in (ENTERPRISES, CREDIT_RECORDS, ADDRESSES, BUILDINGS, ECONOMY, POIS, STAFF)}

# Registration statuses as written by registers → the status stored.
STATUSES = {
    "存续": "存续", "在业": "在业", "在营": "在业", "开业": "在业", "在营(开业)": "在业", "在营（开业）": "在业",
    "正常": "存续", "吊销": "吊销", "吊销,未注销": "吊销", "吊销，未注销": "吊销", "吊销未注销": "吊销",
    "注销": "注销", "已注销": "注销", "迁出": "迁出", "已迁出": "迁出", "停业": "停业", "歇业": "歇业", "撤销": "撤销",
}
# Credit record kinds (as the risk rules read them) and the words departments use for them.
CREDIT_KINDS = {
    "penalty": ("行政处罚", "处罚", "罚款"),
    "abnormal_list": ("经营异常名录", "经营异常", "列入经营异常名录", "异常名录"),
    "blacklist": ("严重违法失信名单", "严重违法失信", "黑名单"),
    "revocation": ("吊销", "吊销营业执照", "吊销许可证"),
    "complaint": ("投诉", "投诉举报", "举报"),
    "missing_licence": ("无证经营", "未取得许可", "许可缺失", "无照经营"),
    "missing_annual_report": ("未年报", "未按时年报", "未报送年度报告"),
    "court_dishonest": ("失信被执行人", "法院失信", "失信被执行"),
}
POI_KINDS = {
    "school": ("学校", "中小学", "小学", "中学"), "kindergarten": ("幼儿园", "托儿所"),
    "hospital": ("医院", "卫生院", "医疗机构"),
}
STAFF_ROLES = {"supervisor": ("网格监管员", "监管员", "网格员"), "inspector": ("执法人员", "检查员", "执法员"),
               "official": ("领导", "管理人员", "科长")}
