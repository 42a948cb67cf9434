# ruff: noqa: E501  (translation table: one sentence per line)
"""The web desk's words in English and Chinese: the same terms as the desktop (taken from
ui/i18n/clinic_zh_CN.ts, which central does not load: it ships no Qt translations and imports
nothing of ui/). The sentences of the product's error codes and their Chinese are not written
here: they come from ``clinic_errors.texts``, the one table the desktop translates them by.

``ZH`` is keyed by the English text. A sentence with a count says it in the English plural
(``%n minutes``); ``SINGULAR`` holds its English singular (Chinese has one form). The central
platform's refusals are shown by their stable code (``ERRORS``), never by the English message
they carry, so nothing of the other language reaches the page."""

from __future__ import annotations

from clinic_app.clinical.medication_checks import Finding
from clinic_errors.texts import SENTENCES
from clinic_errors.texts import ZH as ERRORS_ZH

ZH: dict[str, str] = {
    "Consult desk": "会诊台",
    "Sign in": "登录",
    "Sign in to the central platform": "登录中心平台",
    "Sign out": "退出登录",
    "User name": "用户名",
    "Password": "密码",
    "Language": "语言",
    "Worklist": "工作列表",
    "Refresh": "刷新",
    "Patient": "患者",
    "Specialty": "专科",
    "Priority": "优先级",
    "State": "状态",
    "Slot": "时段",
    "Question": "问题",
    "Date": "日期",
    "New": "新申请",
    "Accepted": "已接受",
    "Scheduled": "已安排",
    "Answered": "已答复",
    "Declined": "已拒绝",
    "Cancelled": "已取消",
    "STAT": "立即",
    "ASAP": "尽快",
    "Urgent": "紧急",
    "Routine": "常规",
    "No open consult requests.": "没有待处理的会诊申请。",
    "Summary": "摘要",
    "Problems": "问题",
    "Current medications": "当前用药",
    "No current medicines": "无当前用药",
    "Allergies": "过敏史",
    "No known allergies": "无已知过敏",
    "Vitals trends": "生命体征趋势",
    "No vitals recorded.": "无生命体征记录。",
    "Attachments": "附件",
    "No attachments.": "无附件。",
    "Accept": "接受",
    "Decline": "拒绝",
    "Reason": "原因",
    "Book a slot": "预约时段",
    "Time slot": "时段",
    "Messages": "消息",
    "Send": "发送",
    "Opinion": "会诊意见",
    "Send opinion": "发送意见",
    "E-prescription": "电子处方",
    "Medication": "药品",
    "Dosage": "用法用量",
    "Days": "天数",
    "Override reason": "忽略警示理由",
    "Sign prescription": "签署处方",
    "Referral": "转诊",
    "Refer": "转诊",
    "Saved; the clinic receives it on its next sync.": "已保存，诊所下次同步时收到。",
    "Not accepted or declined yet.": "尚未接受或拒绝。",
    "Back to the worklist": "返回工作列表",
    "Your session ends in %n minutes: save your work, then sign in again.": "您的会话将在 %n 分钟后结束：请保存工作后重新登录。",
    "Your session has ended: sign in again.": "会话已结束：请重新登录。",
    "The user name or password is wrong.": "用户名或密码错误。",
    "Too many sign-in attempts: wait %n seconds, then try again.": "登录尝试次数过多：请等待 %n 秒后再试。",
    "Sign-in with this user name is locked after too many failed attempts.": "该用户名登录失败次数过多，已被锁定。",
    "The web desk is for specialists.": "网页会诊台仅供专科医生使用。",
    "Use the desk over HTTPS.": "请通过 HTTPS 使用会诊台。",
    "The form expired: reload the page and try again.": "表单已失效：请刷新页面后重试。",
    "Warnings: sign only with a reason.": "有警示：须填写理由才能签署。",
    "No warnings for this medicine": "此药无警示",
    "Write the opinion.": "请填写会诊意见。",
    "Write the message.": "请填写消息。",
    "Enter the medication.": "请输入药品。",
    "Enter the dosage.": "请填写用法用量。",
    "Say why you decline the consult.": "请说明拒绝会诊的原因。",
    "Choose a specialty from the list.": "请从列表中选择专科。",
    "That slot is over; choose a later one.": "该时段已过，请选择更晚的时段。",
    "Choose a time on the hour.": "请选择整点时间。",
    "Someone changed this consult meanwhile: reload and try again.": "此会诊已被他人修改：请刷新后重试。",
    "Not saved: %1": "未保存：%1",
    "Systolic blood pressure": "收缩压",
    "Diastolic blood pressure": "舒张压",
    "Heart rate": "心率",
    "Body temperature": "体温",
    "Body weight": "体重",
    "Respiratory rate": "呼吸频率",
    "Oxygen saturation in Arterial blood": "动脉血氧饱和度",
    "Body height": "身高",
    "Glucose [Moles/volume] in Blood": "血糖（mmol/L）",
    "Glucose [Mass/volume] in Blood": "血糖（mg/dL）",
    "Hemoglobin A1c/Hemoglobin.total in Blood": "糖化血红蛋白（%）",
    "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol": "糖化血红蛋白（IFCC，mmol/mol）",
    "Cardiology": "心内科",
    "Endocrinology": "内分泌科",
    "Dermatology": "皮肤科",
    "Neurology": "神经内科",
    "Pediatrics": "儿科",
    "Radiology": "放射科",
    "Respiratory medicine": "呼吸内科",
    "Obstetrics and gynaecology": "妇产科",
    "General medicine": "全科",
    "Open": "打开",
    "Join call": "加入视频通话",
    "Video call": "视频通话",
    "Back to the case": "返回病例",
    "Hang up": "挂断",
    "You": "本人",
    "Clinic": "诊所",
    "Chat": "聊天",
    "Live vitals": "实时生命体征",
    "Shared files": "共享文件",
    "Joining the call…": "正在加入通话…",
    "Waiting for the clinic to join…": "正在等待诊所加入…",
    "Connecting…": "正在连接…",
    "Connected": "已连接",
    "Connection lost: reconnecting…": "连接中断：正在重新连接…",
    "The clinic left the call.": "诊所已离开通话。",
    "The call has ended.": "通话已结束。",
    "No camera or microphone: the clinic cannot see or hear you.": "无摄像头或麦克风。",
    "The call could not be joined: %1": "无法加入通话：%1",
    "Turn sound on": "打开声音",
    "Video in %1 fps · out %2 fps": "视频 收 %1 帧/秒 · 发 %2 帧/秒",
    "Share a file in the call": "在通话中分享文件",
    "image or PDF, up to 64 MB": "图片或 PDF，最大 64 MB",
    "Share": "分享",
    "Choose a file…": "选择文件…",
    "No file chosen": "未选择文件",
    "Sending: %1%": "正在发送：%1%",
    "Arrived intact (SHA-256 checked)": "已完整送达（SHA-256 已校验）",
    "The shared file arrived damaged; send it again.": "共享的文件传输损坏，请重新发送。",
    "Choose a file first.": "请先选择文件。",
    "Files shared during a call are at most 64 MB; send larger ones with the consult instead.": "通话中分享的文件最大 64 MB；更大的文件请随会诊申请发送。",
    "Draft": "草稿",
    "The browser could not do that: reload the page and try again.": "浏览器无法完成此操作：请刷新页面后重试。",
    # the medication checks' findings, as the desktop's prescribe dialog says them
    "Contraindicated": "禁忌",
    "Major": "严重",
    "Moderate": "中度",
    "Note": "备注",
    "replaces %1 (it will be stopped)": "替换 %1（原处方将停用）",
    "duplicate therapy: %1 is also one of the %2": "重复用药：%1 同属%2",
    "duplicate therapy: the same medicine as %1": "重复用药：与 %1 为同一药物",
    "allergy to %1 recorded: possible cross-reaction (%2)": "已记录对 %1 过敏：可能交叉过敏（%2）",
    "allergy to %1 recorded (%2)": "已记录对 %1 过敏（%2）",
    "interacts with %1: %2": "与 %1 相互作用：%2",
    # the record builders' and the desk's own form errors
    "That medicine is not in the formulary.": "该药品不在药品目录中。",
    "The opinion is too long (20000 characters at most).": "会诊意见过长（最多 20000 个字符）。",
    "The message is too long (4000 characters at most).": "消息过长（最多 4000 个字符）。",
    "Appointments start on the hour (one-hour slots).": "预约须从整点开始（每个时段一小时）。",
    "The text is too long.": "文字过长。",
    "A prescription lasts 1 to 365 days.": "处方天数为 1 至 365 天。",
    "Not Found": "未找到。",
    # counts (the English plural is the key; SINGULAR holds the singular)
    "%n open consult requests": "%n 个待处理的会诊申请",
    "%n bytes": "%n 字节",
    # the case page's layout
    "Answer": "答复",
    "Jump to the answer forms": "跳到答复表单",
    "Decision": "决定",
    # the slot picker (the desk's language, not the browser's)
    "Day": "日期",
    "Hour": "时间",
    "Times are one-hour slots in %1.": "每个时段一小时，时间为 %1。",
    "Today": "今天",
    "Tomorrow": "明天",
    "Choose a day in the next 14 days.": "请选择今后 14 天内的日期。",
    "Mon": "周一",
    "Tue": "周二",
    "Wed": "周三",
    "Thu": "周四",
    "Fri": "周五",
    "Sat": "周六",
    "Sun": "周日",
    # the desk's own refusals of an answer
    "This consult request is closed or was withdrawn.": "此会诊申请已关闭或已撤回。",
    "This consult was declined: accept it before answering.": "此会诊已被拒绝：请先接受，再答复。",
    "Check the form: a value is not valid.": "请检查表单：有一项填写无效。",
    # the record builders' validation errors a desk form can reach (clinic_app/records)
    "Urgency is routine, urgent, asap or stat.": "紧急程度须为常规、紧急、尽快或立即。",
    "Write the question for the specialist.": "请填写向专科医生提出的问题。",
    "The question is too long (4000 characters at most).": "问题过长（最多 4000 个字符）。",
    "A new request is a draft or active.": "新申请的状态须为草稿或有效。",
    "Give the reason the medicine is stopped.": "请填写停药原因。",
    "A new appointment is proposed, pending or booked.": "新预约的状态须为提议、待定或已预约。",
    "Say what the follow-up is for.": "请说明随访内容。",
    "A follow-up cannot be due in the past.": "随访到期日不能是过去的日期。",
    "Enter a date as YYYY-MM-DD.": "请按 YYYY-MM-DD 格式输入日期。",
    "The reason is too long (2000 characters at most).": "原因过长（最多 2000 个字符）。",
    "That request is not a consult request.": "该申请不是会诊申请。",
    # the central platform's refusals, by code (ERRORS): as the desktop's sync errors screen
    # (ui/sync_errors_screen.py) says them
    "An identifier in this record has characters that are not allowed (only letters, digits, '-' and '.', up to 64).": "该记录中的某个标识含有不允许的字符（只允许字母、数字、“-”和“.”，最多 64 个）。",
    "The record holds characters that cannot be stored, such as an invisible control character pasted from another program.": "该记录含有无法保存的字符，例如从其他程序粘贴来的不可见控制字符。",
    "A field of this record holds a value the record standard (FHIR) does not allow.": "该记录的某个字段含有记录标准（FHIR）不允许的值。",
    "The change is not in a form the central platform accepts.": "这项更改的格式不被中心平台接受。",
    "The record's text holds formatting that is not allowed.": "该记录的文本含有不允许的格式。",
    "The record is too large for the central platform.": "该记录过大，中心平台无法接收。",
    "The record is nested too deeply.": "该记录的嵌套层级过深。",
    "The central platform does not accept this kind of record.": "中心平台不接受这类记录。",
    "The record refers to another record the central platform does not have (for example a patient whose own change was refused).": "该记录引用了中心平台上没有的另一条记录（例如其本身的更改被拒绝的患者）。",
    "The record refers to a record of another server.": "该记录引用了其他服务器上的记录。",
    "The record refers to another record in a way the central platform does not accept.": "该记录引用其他记录的方式不被中心平台接受。",
    "This account may not change this record.": "此账户无权修改该记录。",
    "The central platform already has a different change under this change's number.": "中心平台上已有一项使用相同编号的不同更改。",
    "An attached file has not reached the central platform yet.": "附件尚未到达中心平台。",
    "The central platform refused this change.": "中心平台拒绝了这项更改。",
    "The formulary belongs to the platform: only its administrator changes it.": "药品目录属于平台：只有平台管理员可以修改。",
    "The central platform could not read the request.": "中心平台无法读取该请求。",
    "This account may not do that.": "此账户无权执行该操作。",
    "That record does not exist, or it is not yours to see.": "该记录不存在，或您无权查看。",
    "That record was deleted.": "该记录已被删除。",
    "The central platform does not support that.": "中心平台不支持该操作。",
    "The central platform failed on this request: try again later.": "中心平台处理此请求时出错：请稍后再试。",
    "The central platform did not answer in time: try again.": "中心平台未及时响应：请重试。",
    "This program is too old for the central platform: install the newer version.": "此程序版本过旧，中心平台不再支持：请安装新版本。",
    "The file did not arrive intact: send it again.": "文件未完整送达：请重新发送。",
    "The clinic is not valid.": "诊所无效。",
    "There is no such clinic.": "没有该诊所。",
    "The enrollment code is wrong or has expired.": "注册码错误或已过期。",
    "The platform knows no such role.": "平台没有该角色。",
    "That validity period is not allowed.": "该有效期不被允许。",
    "That user name is not allowed.": "该用户名不被允许。",
    "That user name is taken.": "该用户名已被使用。",
    "The password is too weak.": "密码强度不足。",
    "This consult was withdrawn; its call is closed.": "此会诊已撤回，通话已关闭。",
    "Someone else is already in this call on your side.": "已有其他人以您这一方加入了此通话。",
    "The other side has not joined yet.": "对方尚未加入。",
    "A message of the call was not understood.": "无法识别通话中的一条消息。",
    "The call was refused.": "通话被拒绝。",
    "A command of the central platform failed.": "中心平台的命令执行失败。",
}
# the sentences of the product's error codes (clinic_errors.texts), as the desktop says them
ZH |= {sentence: ERRORS_ZH[sentence] for sentence in SENTENCES.values()}

# English singulars of the sentences with a count (%n): the plural is the key of ZH.
SINGULAR: dict[str, str] = {
    "Your session ends in %n minutes: save your work, then sign in again.": "Your session ends in %n minute: save your work, then sign in again.",
    "Too many sign-in attempts: wait %n seconds, then try again.": "Too many sign-in attempts: wait %n second, then try again.",
    "%n open consult requests": "%n open consult request",
    "%n bytes": "%n byte",
}

REFUSED = "The central platform refused this change."
_REFERENCE = "The record refers to another record in a way the central platform does not accept."
_UNREADABLE = "The central platform could not read the request."
_UPLOAD = "The file did not arrive intact: send it again."
_SIGN_IN = "Your session has ended: sign in again."

# Every error code the desk can be answered with, as one sentence (a key of ZH): the sync
# push's refusals (central/validation.py, central/references.py, central/authz.py,
# central/sync.py), the central API's (central/errors.ApiError codes), the wire protocol's
# (clinic_app/sync/protocol.py), the call's (central/signaling.py) and the codes of the
# product's error hierarchy (clinic_errors). tests/central/test_desk_i18n.py finds them all.
ERRORS: dict[str, str] = {
    # a pushed change refused
    "invalid_id": "An identifier in this record has characters that are not allowed (only letters, digits, '-' and '.', up to 64).",
    "unstorable_text": "The record holds characters that cannot be stored, such as an invisible control character pasted from another program.",
    "unencodable_text": "The record holds characters that cannot be stored, such as an invisible control character pasted from another program.",
    "invalid_resource": "A field of this record holds a value the record standard (FHIR) does not allow.",
    "invalid_change": "The change is not in a form the central platform accepts.",
    "invalid_change_id": "The change is not in a form the central platform accepts.",
    "narrative_unsafe": "The record's text holds formatting that is not allowed.",
    "too_large": "The record is too large for the central platform.",
    "too_deep": "The record is nested too deeply.",
    "unknown_type": "The central platform does not accept this kind of record.",
    "reference_not_found": "The record refers to another record the central platform does not have (for example a patient whose own change was refused).",
    "reference_foreign": "The record refers to a record of another server.",
    "reference": _REFERENCE,
    "reference_malformed": _REFERENCE,
    "reference_unknown_type": _REFERENCE,
    "reference_versioned": _REFERENCE,
    "reference_urn": _REFERENCE,
    "reference_type_mismatch": _REFERENCE,
    "reference_contained_missing": _REFERENCE,
    "not_permitted": "This account may not change this record.",
    "platform_record": "The formulary belongs to the platform: only its administrator changes it.",
    "change_id_reused": "The central platform already has a different change under this change's number.",
    "change_id_taken": "The central platform already has a different change under this change's number.",
    "attachment_missing": "An attached file has not reached the central platform yet.",
    "conflict": "Someone changed this consult meanwhile: reload and try again.",
    "rejected": REFUSED,
    # the API's answers
    "error": REFUSED,
    "bad_request": _UNREADABLE,
    "bad_request_line": _UNREADABLE,
    "bad_header": _UNREADABLE,
    "bad_framing": _UNREADABLE,
    "bad_http": _UNREADABLE,
    "headers_too_large": _UNREADABLE,
    "uri_too_long": _UNREADABLE,
    "unsupported_encoding": _UNREADABLE,
    "unauthorized": _SIGN_IN,
    "session_ended": _SIGN_IN,
    "bad_credentials": "The user name or password is wrong.",
    "forbidden": "This account may not do that.",
    "not_found": "That record does not exist, or it is not yours to see.",
    "gone": "That record was deleted.",
    "not_supported": "The central platform does not support that.",
    "server_error": "The central platform failed on this request: try again later.",
    "timeout": "The central platform did not answer in time: try again.",
    "upgrade_required": "This program is too old for the central platform: install the newer version.",
    "bad_size": _UPLOAD,
    "beyond_size": _UPLOAD,
    "empty_chunk": _UPLOAD,
    "no_upload": _UPLOAD,
    "size_mismatch": _UPLOAD,
    "wrong_offset": _UPLOAD,
    "digest_mismatch": _UPLOAD,
    "bad_clinic": "The clinic is not valid.",
    "no_such_clinic": "There is no such clinic.",
    "bad_code": "The enrollment code is wrong or has expired.",
    "bad_role": "The platform knows no such role.",
    "bad_specialty": "Choose a specialty from the list.",
    "bad_ttl": "That validity period is not allowed.",
    "bad_username": "That user name is not allowed.",
    "user_exists": "That user name is taken.",
    "weak_password": "The password is too weak.",
    # the call's
    "consult_closed": "This consult was withdrawn; its call is closed.",
    "room_full": "Someone else is already in this call on your side.",
    "peer_absent": "The other side has not joined yet.",
    "bad_message": "A message of the call was not understood.",
    "refused": "The call was refused.",
    "CENTRAL_COMMAND": "A command of the central platform failed.",
    # the product's error hierarchy (clinic_errors) and the central platform's refusals of a
    # sign-in or a session, as the desktop says them
    **SENTENCES,
}
# an HTTP status the desk answers with itself (a page that does not exist ...), as a code
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                409: "consult_closed", 410: "gone", 413: "too_large"}  # fmt: skip

SEVERITY = {"contraindicated": "Contraindicated", "major": "Major", "moderate": "Moderate",
            "info": "Note"}  # fmt: skip


def translate(lang: str, text: str, *args: object) -> str:
    """``text`` in ``lang`` (``zh`` or ``en``) with ``%1``, ``%2`` … filled in."""
    out = ZH.get(text, text) if lang == "zh" else text
    for n, arg in enumerate(args, 1):
        out = out.replace(f"%{n}", str(arg))
    return out


def ntranslate(lang: str, text: str, n: int, *args: object) -> str:
    """``text`` (the English plural, with ``%n``) for the count ``n``: the English singular
    for 1, the one Chinese form; ``%n`` then ``%1`` ... filled in."""
    one, other = plural_forms(lang, text)
    return translate("en", one if n == 1 else other, *args).replace("%n", str(n))


def plural_forms(lang: str, text: str) -> tuple[str, str]:
    """The forms of ``text`` for a count of one and for any other count (``%n`` left in), for
    a script that fills the count in."""
    if lang == "zh":
        zh = ZH.get(text, text)
        return zh, zh
    return SINGULAR.get(text, text), text


def error_text(lang: str, code: str | None) -> str:
    """The sentence for an error code of the central platform (or of the product)."""
    return translate(lang, ERRORS.get(code or "", REFUSED))


def refusal(lang: str, code: str | None) -> str:
    """``Not saved: …`` with the reason for a refused change, by its code."""
    return translate(lang, "Not saved: %1", error_text(lang, code))


def invalid(lang: str, message: str) -> str:
    """A form error (a ValidationError's English sentence) in ``lang``; a sentence the table
    lacks is said in general terms rather than in English on the Chinese desk."""
    if lang == "zh" and message not in ZH:
        return translate(lang, "Check the form: a value is not valid.")
    return translate(lang, message)


def severity(lang: str, code: str) -> str:
    """A finding's severity (``major`` ...) as the desktop says it."""
    return translate(lang, SEVERITY.get(code, "Note"))


def describe(lang: str, f: Finding) -> str:
    """One sentence for a medication check's finding, as ui/prescribe_dialog.FindingText says it
    (the effect and the group come in both languages with the finding)."""
    group = f.group.get(lang) or f.group.get("en", "")
    effect = f.effect.get(lang) or f.effect.get("en", "")
    if f.kind == "replaces":
        return translate(lang, "replaces %1 (it will be stopped)", f.other)
    if f.kind == "class-duplicate":
        return translate(lang, "duplicate therapy: %1 is also one of the %2", f.other, group)
    if f.kind == "duplicate":
        return translate(lang, "duplicate therapy: the same medicine as %1", f.other)
    if f.kind == "allergy":
        if f.code.startswith("allergy-cross:"):
            text = "allergy to %1 recorded: possible cross-reaction (%2)"
        else:
            text = "allergy to %1 recorded (%2)"
        return translate(lang, text, f.other, group or f.other)
    return translate(lang, "interacts with %1: %2", f.other, effect)
