"""The web desk's words in English and Chinese: the same terms as the desktop (taken from
ui/i18n/clinic_zh_CN.ts, which central does not load: it ships no Qt translations)."""

from __future__ import annotations

from clinic_app.clinical.medication_checks import Finding

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
    "Your session ends in %1 minutes: save your work, then sign in again.": "您的会话将在 %1 分钟后结束：请保存工作后重新登录。",  # noqa: E501
    "Your session has ended: sign in again.": "会话已结束：请重新登录。",
    "The user name or password is wrong.": "用户名或密码错误。",
    "Too many sign-in attempts: wait %1 seconds, then try again.": "登录尝试次数过多：请等待 %1 秒后再试。",  # noqa: E501
    "Sign-in with this user name is locked after too many failed attempts.": "该用户名登录失败次数过多，已被锁定。",  # noqa: E501
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
    "Someone changed this consult meanwhile: reload and try again.": "此会诊已被他人修改：请刷新后重试。",  # noqa: E501
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
    "Files shared during a call are at most 64 MB; send larger ones with the consult instead.": "通话中分享的文件最大 64 MB；更大的文件请随会诊申请发送。",  # noqa: E501
    "Draft": "草稿",
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
}

SEVERITY = {"contraindicated": "Contraindicated", "major": "Major", "moderate": "Moderate",
            "info": "Note"}  # fmt: skip


def translate(lang: str, text: str, *args: object) -> str:
    """``text`` in ``lang`` (``zh`` or ``en``) with ``%1``, ``%2`` … filled in."""
    out = ZH.get(text, text) if lang == "zh" else text
    for n, arg in enumerate(args, 1):
        out = out.replace(f"%{n}", str(arg))
    return out


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
