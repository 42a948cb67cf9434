# ruff: noqa: E501  (translation table: one message per line)
"""Fill in the Simplified Chinese translations of the UI in ``clinic_zh_CN.ts``.

Run after ``pyside6-lupdate``:

* Messages of the module-level ``tr()`` helpers (``ui/clinical_text.py`` and ``ui/pages.py``)
  land in lupdate's empty context, but at run time they are looked up under the context the
  helper passes to ``QCoreApplication.translate``; they are moved there.
* Every unfinished message gets a translation: first one already in the file for the same
  context and source (also from vanished entries lupdate kept), else the table below.
* Vanished/obsolete entries of UI contexts are dropped (the "core" context belongs to
  ``core_messages.py``).

Usage: python ui/i18n/fill.py [ui/i18n/clinic_zh_CN.ts]; prints what is left untranslated.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TS = Path(__file__).resolve().parent / "clinic_zh_CN.ts"
# ui module -> the context its module-level tr() helper passes to QCoreApplication.translate
HELPER_CONTEXTS = {"clinical_text.py": "clinical_text", "pages.py": "pages"}
DEAD = ("vanished", "obsolete")

UI_ZH: dict[str, str] = {
    "Systolic BP": "收缩压",
    "Diastolic BP": "舒张压",
    "Heart rate": "心率",
    "Respiratory rate": "呼吸频率",
    "Temperature": "体温",
    "SpO₂": "血氧饱和度",
    "Glucose": "血糖",
    "Weight": "体重",
    "Height": "身高",
    "High": "偏高",
    "Low": "偏低",
    "Critical high": "危急偏高",
    "Critical low": "危急偏低",
    "Routine": "常规",
    "Urgent": "紧急",
    "As soon as possible": "尽快",
    "Emergency (stat)": "急诊（立即）",
    "Male": "男",
    "Female": "女",
    "Other": "其他",
    "Unknown": "未知",
    "Yes": "是",
    "No": "否",
    "%1 %2 (%3)": "%1 %2（%3）",
    "%1 %2": "%1 %2",
    "%1: %2": "%1：%2",
    "%1 (%2)": "%1（%2）",
    "%1 %2 %3": "%1 %2 %3",
    "Pinyin": "拼音",
    "Sex": "性别",
    "Age": "年龄",
    "%1 years": "%1 岁",
    "ID number": "身份证号",
    "Phone": "电话",
    "Patients": "患者",
    "Chart": "病历",
    "Book a slot": "预约时段",
    "Patient": "患者",
    "Slot": "时段",
    "Doctor": "医生",
    "e.g. follow-up visit, video consult": "如：复诊、视频会诊",
    "Description": "说明",
    "Book": "预约",
    "Find and choose the patient.": "请查找并选择患者。",
    "Say which doctor sees the patient.": "请指定接诊医生。",
    "That slot is over; choose a later one.": "该时段已过，请选择更晚的时段。",
    "Immediately (stat)": "立即（急诊）",
    "high": "偏高",
    "low": "偏低",
    "critically high": "危急偏高",
    "critically low": "危急偏低",
    "Visit": "就诊",
    "%1 on %2": "%2 %1",
    "%1 — %2": "%1 — %2",
    "Form answers": "表单回答",
    "%1 (%2, %3 KB) — double-click to read": "%1（%2，%3 KB）— 双击查看",
    "Condition: %1": "疾病：%1",
    "Allergy: %1": "过敏：%1",
    "Medication: %1": "用药：%1",
    "Question": "问题",
    "Sent with the request": "随申请发送",
    "Decision and answers": "处理与答复",
    "Choose a consult request from the worklist.": "请从工作列表中选择会诊申请。",
    "Patient not on this workstation yet": "患者尚未同步到本工作站",
    "male": "男",
    "female": "女",
    "%n year(s)": "%n 岁",
    "ID %1": "身份证 %1",
    "%1 · %2 · sent %3 by %4": "%1 · %2 · %4 于 %3 发送",
    "Nothing was attached to this request.": "此申请未附带任何内容。",
    "%1 — not on this workstation yet (arrives with the next sync)": "%1 — 尚未同步到本工作站（下次同步时到达）",
    "Not accepted or declined yet.": "尚未接受或拒绝。",
    "Accepted by %1 on %2": "%1 于 %2 接受",
    "Declined by %1 on %2": "%1 于 %2 拒绝",
    "Slot booked: %1": "已预约时段：%1",
    "Slot proposed by the clinic: %1": "诊所提议的时段：%1",
    "Opinion (%1): %2": "会诊意见（%1）：%2",
    "Prescription: %1 — %2": "处方：%1 — %2",
    "Referral to %1": "转诊至%1",
    "Open a patient from the Patients list to see the chart.": "请在患者列表中打开患者以查看病历。",
    "New visit": "新建就诊",
    "Record a visit (Ctrl+Shift+V)": "记录就诊（Ctrl+Shift+V）",
    "Ask a specialist": "申请会诊",
    "Request a remote consult (Ctrl+K)": "申请远程会诊（Ctrl+K）",
    "Edit patient": "编辑患者",
    "Edit the patient's details (Ctrl+E)": "编辑患者信息（Ctrl+E）",
    "Allergies": "过敏史",
    "Active conditions": "现患疾病",
    "Current medications": "当前用药",
    "Date": "日期",
    "Entry": "条目",
    "Summary": "摘要",
    "Status": "状态",
    "Send this draft to the specialist": "将此草稿发送给专科医生",
    "Timeline": "时间线",
    "Drop image, PDF or DICOM files anywhere on the chart to attach.": "将图片、PDF 或 DICOM 文件拖到病历任意位置即可添加附件。",
    "View": "查看",
    "Open with system viewer": "用系统查看器打开",
    "Attach file…": "添加附件…",
    "Attach files to the chart (Ctrl+O)": "向病历添加附件（Ctrl+O）",
    "Attachments": "附件",
    "Vitals trends": "生命体征趋势",
    "Loading…": "正在加载…",
    "Specialist opinion": "专科意见",
    "Prescription": "处方",
    "Consult request": "会诊申请",
    "Referral": "转诊",
    "BP %1/%2": "血压 %1/%2",
    "⚠ %1 abnormal": "⚠ %1 项异常",
    "Reason": "原因",
    "Specialty": "专科",
    "Urgency": "紧急程度",
    "Requested by": "申请人",
    "Records included": "附带记录",
    "Proposed slot": "提议时段",
    "Appointment": "预约",
    "Specialist": "专科医生",
    "Opinion": "会诊意见",
    "Medication": "药品",
    "Dosage": "用法用量",
    "Prescriber": "开方医生",
    "%1   (%2, %3 KB, %4)": "%1   （%2，%3 KB，%4）",
    "Attachments (%1)": "附件（%1）",
    "This image cannot be shown; try the system viewer.": "无法显示此图片，请尝试系统查看器。",
    "Attach files to the chart": "向病历添加附件",
    "Images, PDF, DICOM, text (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pdf *.dcm *.txt);;All files (*)": "图片、PDF、DICOM、文本 (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pdf *.dcm *.txt);;所有文件 (*)",
    "Attaching %1…": "正在添加 %1…",
    "Field": "字段",
    "Before (both started here)": "修改前（双方共同的版本）",
    "On this workstation": "本工作站",
    "On the central platform": "中心平台",
    "Keep": "保留",
    "Patient details": "患者信息",
    "Visit form": "就诊表单",
    "Follow-up or task": "随访或任务",
    "Care plan": "诊疗计划",
    "Consult or referral": "会诊或转诊",
    "Condition": "疾病",
    "Allergy": "过敏",
    "Document": "文档",
    "Name": "姓名",
    "Birth date": "出生日期",
    "Address": "地址",
    "ID numbers": "证件号码",
    "Start": "开始",
    "End": "结束",
    "Participants": "参与者",
    "Note": "备注",
    "Answers": "回答",
    "None recorded": "无记录",
    "None recorded.": "无记录。",
    "Nothing recorded yet.": "暂无记录。",
    "Time": "时间",
    "Due": "到期",
    "What": "内容",
    "Clinical status": "临床状态",
    "deleted on one side, changed on the other": "一方已删除，另一方已修改",
    "%n field(s) changed on both sides": "%n 个字段双方都有修改",
    "%1\n%2 · %3": "%1\n%2 · %3",
    "%n conflict(s) waiting for a decision": "%n 个冲突待处理",
    "No conflicts: every change here agrees with the central platform.": "没有冲突：此处的所有更改均与中心平台一致。",
    "This record was deleted on this workstation, but someone changed it on the central platform meanwhile. Keep it deleted, or bring back the version from the central platform (shown below).": "此记录已在本工作站删除，但期间有人在中心平台上修改了它。可以保持删除，或恢复中心平台上的版本（见下方）。",
    "Keep it deleted": "保持删除",
    "Bring back the central platform's version": "恢复中心平台的版本",
    "This record was deleted on the central platform (by another workstation or the specialist), but it was changed here meanwhile. Keep your version (it is sent again), or accept the deletion.": "此记录已在中心平台上被删除（由其他工作站或专科医生），但期间在此处被修改过。可以保留您的版本（将重新发送），或接受删除。",
    "Keep my version": "保留我的版本",
    "Accept the deletion": "接受删除",
    "This record was changed here and on the central platform since they last agreed. Changes to different fields were merged already; for each field below, choose which version to keep.": "自上次一致以来，此记录在本地和中心平台上都被修改过。不同字段的修改已自动合并；请为下面每个字段选择要保留的版本。",
    "Keep mine for all fields": "全部保留我的",
    "Keep theirs for all fields": "全部采用对方的",
    "Use this workstation's version": "采用本工作站的版本",
    "Use the central platform's version": "采用中心平台的版本",
    "Apply my choices": "应用我的选择",
    "(deleted)": "（已删除）",
    "Mine": "我的",
    "Theirs": "对方的",
    "Choose mine or theirs for every field first.": "请先为每个字段选择我的或对方的版本。",
    "Ask a specialist — %1": "申请会诊 — %1",
    "Save as draft": "存为草稿",
    "Send": "发送",
    "Included": "附带内容",
    "%1 visit(s), %2 vital sign reading(s), %3 attachment(s)": "%1 次就诊，%2 条生命体征记录，%3 个附件",
    "Proposed slots": "提议时段",
    "none": "无",
    "All specialties": "全部专科",
    "Show answered and declined": "显示已答复和已拒绝",
    "Received": "收到时间",
    "State": "状态",
    "Accept…": "接受…",
    "Accept the consult (Ctrl+Shift+A)": "接受会诊（Ctrl+Shift+A）",
    "Decline…": "拒绝…",
    "Decline the consult with a reason (Ctrl+Shift+D)": "拒绝会诊并说明原因（Ctrl+Shift+D）",
    "Book a slot…": "预约时段…",
    "Book a one-hour slot for the live consult (Ctrl+B)": "为实时会诊预约一小时时段（Ctrl+B）",
    "Write opinion…": "填写意见…",
    "Write the specialist's opinion (Ctrl+Shift+O)": "填写专科会诊意见（Ctrl+Shift+O）",
    "E-prescription…": "电子处方…",
    "Prescribe for the patient (Ctrl+Shift+P)": "为患者开处方（Ctrl+Shift+P）",
    "Refer…": "转诊…",
    "Refer the patient to a hospital department (Ctrl+Shift+R)": "将患者转诊至医院科室（Ctrl+Shift+R）",
    "Open chart": "打开病历",
    "Open the patient's chart": "打开患者病历",
    "New": "新申请",
    "Accepted": "已接受",
    "Declined": "已拒绝",
    "Answered": "已答复",
    "STAT": "立即",
    "ASAP": "尽快",
    "%n request(s)": "%n 个申请",
    "Accept the consult for %1": "接受 %1 的会诊",
    "Decline the consult for %1": "拒绝 %1 的会诊",
    "Accept": "接受",
    "Decline": "拒绝",
    "Optional: a note for the clinic": "可选：给诊所的备注",
    "Why? The clinic reads this in the chart.": "原因？诊所会在病历中看到。",
    "Video consult": "视频会诊",
    "Opinion for %1": "%1 的会诊意见",
    "Send opinion": "发送意见",
    "Assessment and advice for the clinic": "给诊所的评估与建议",
    "E-prescription for %1": "%1 的电子处方",
    "Prescribe": "开处方",
    "e.g. 氨氯地平片 5mg": "如：氨氯地平片 5mg",
    "e.g. once a day, one tablet": "如：每日一次，每次一片",
    "not set": "未设置",
    " days": " 天",
    "Duration": "疗程",
    "Referral for %1": "%1 的转诊",
    "Refer": "转诊",
    "Why the patient should be seen at the hospital": "患者需到医院就诊的原因",
    "Department": "科室",
    "Opening…": "正在打开…",
    "Open in the system viewer": "在系统查看器中打开",
    "A decrypted copy is written to a temporary folder for the viewer.": "将在临时文件夹中写入一份解密副本供查看器使用。",
    "Fit to the window": "适应窗口",
    "This kind of file cannot be shown here.": "此类文件无法在此显示。",
    "The file could not be opened.": "无法打开文件。",
    "The image could not be read.": "无法读取图片。",
    "Zoom in": "放大",
    "Zoom in (+)": "放大（+）",
    "Zoom out": "缩小",
    "Zoom out (-)": "缩小（-）",
    "Fit": "适应",
    "Fit to window (0)": "适应窗口（0）",
    "Actual size": "实际大小",
    "Actual size (1)": "实际大小（1）",
    "%1 × %2 pixels — wheel to zoom, drag to move": "%1 × %2 像素 — 滚轮缩放，拖动移动",
    "Clinic workstation %1": "诊所工作站 %1",
    "New patient": "新建患者",
    "from the characters if left empty": "留空则由汉字生成",
    "not known": "不详",
    "18 characters; birth date and sex follow": "18 位；出生日期和性别自动填写",
    "Family name": "姓",
    "Given name": "名",
    "Latin family name": "姓（拼音）",
    "Latin given name": "名（拼音）",
    "Resident ID": "居民身份证号",
    "Province": "省",
    "City": "市",
    "County / district": "县/区",
    "Village / street": "村/街道",
    "Pinyin / Latin": "拼音",
    "Name, pinyin, ID number or phone": "姓名、拼音、身份证号或电话",
    "Search by name, pinyin (e.g. wxm), ID number or phone": "按姓名、拼音（如 wxm）、身份证号或电话搜索",
    "Register a new patient (Ctrl+N)": "登记新患者（Ctrl+N）",
    "%n patient(s)": "%n 位患者",
    "%n match(es)": "%n 条匹配",
    "Question for the specialist": "向专科医生提问",
    "Consult request for %1. Write what you want to know.": "%1 的会诊申请。请写下您想咨询的问题。",
    "e.g. Blood pressure stays around 160/100 on three drugs; please advise.": "如：联用三种降压药后血压仍在 160/100 左右，请指导。",
    "Write the question for the specialist.": "请填写向专科医生提出的问题。",
    "The question is too long (%1 characters at most).": "问题过长（最多 %1 个字符）。",
    "Send or keep as a draft": "发送或存为草稿",
    "Send: the request goes to the specialists as soon as this workstation is online (until then it is queued offline). Draft: it stays here until you send it from the chart.": "发送：本工作站联网后申请即发给专科医生（之前在离线队列中等待）。草稿：保存在本地，直到您从病历中发送。",
    "Day": "日",
    "Week": "周",
    "Today": "今天",
    "Go to today (Ctrl+T)": "转到今天（Ctrl+T）",
    "Previous (Alt+Left)": "上一页（Alt+左）",
    "Next (Alt+Right)": "下一页（Alt+右）",
    "Book the selected slot for a patient (Ctrl+B)": "为患者预约所选时段（Ctrl+B）",
    "Follow-ups due": "待随访",
    "Follow-up": "随访",
    "Mark done": "标记完成",
    "Mark the selected follow-up as done (Ctrl+D)": "将所选随访标记为完成（Ctrl+D）",
    "Booked": "已预约",
    "Proposed": "已提议",
    "Pending": "待定",
    "Arrived": "已到达",
    "Checked in": "已签到",
    "Seen": "已就诊",
    "Waiting list": "候补名单",
    "Week of %1 to %2": "%1 至 %2",
    "%1 · %2": "%1 · %2",
    "(unknown patient)": "（未知患者）",
    "%1 %2 with %3: %4": "%1 %2（%3）：%4",
    "Overdue by %n day(s)": "已逾期 %n 天",
    "Due today": "今天到期",
    "Due in %n day(s)": "%n 天后到期",
    "The translation for the chosen language is not installed in this version, so the interface is in English.": "此版本未安装所选语言的翻译，因此界面为英文。",
    "Language": "语言",
    "Interface language": "界面语言",
    "Security": "安全",
    "Signed in on this workstation as %1.": "已在本工作站以 %1 身份登录。",
    "Current passphrase": "当前口令",
    "New passphrase": "新口令",
    "Repeat it": "再次输入",
    "at least 8 characters": "至少 8 个字符",
    "Change passphrase": "更改口令",
    "Opened with the recovery key: set a new passphrase with “clinic-app recover”.": "已使用恢复密钥打开：请用“clinic-app recover”设置新口令。",
    "Lock after idle": "闲置后锁定",
    " min": " 分钟",
    "Central platform": "中心平台",
    "Server address": "服务器地址",
    "CA certificate": "CA 证书",
    "only for a server with its own certificate": "仅用于使用自有证书的服务器",
    "Choose…": "选择…",
    "Clinic workstation": "诊所工作站",
    "One-time code": "一次性验证码",
    "Name of this PC": "本机名称",
    "Connect this workstation": "连接本工作站",
    "User name": "用户名",
    "Password": "密码",
    "Sign in to the central platform": "登录中心平台",
    "About": "关于",
    "Clinic workstation, version %1": "诊所工作站，版本 %1",
    "About this program…": "关于本程序…",
    "A new language applies at once to this screen, the schedule, the consult desk, the sync conflicts and every window opened afterwards; the other screens change after the next sign-in.": "新语言立即应用于本页面、日程、会诊台、同步冲突及之后打开的所有窗口；其他页面在下次登录后更改。",
    "Saved. The translation for this language is not installed in this version, so the interface stays in English.": "已保存。此版本未安装该语言的翻译，因此界面仍为英文。",
    "Saved. This screen, the schedule, the desk, the conflicts and every new window follow at once; the other screens change after you sign in again (Ctrl+L locks) or restart.": "已保存。本页面、日程、会诊台、冲突及所有新窗口立即生效；其他页面在重新登录（Ctrl+L 锁定）或重启后更改。",
    "Type your current passphrase.": "请输入当前口令。",
    "A passphrase needs at least 8 characters.": "口令至少需要 8 个字符。",
    "The two new passphrases differ.": "两次输入的新口令不一致。",
    "That is not your current passphrase.": "这不是您的当前口令。",
    "Passphrase changed. Use the new one from now on.": "口令已更改，今后请使用新口令。",
    "Not connected: records stay on this workstation until it is.": "未连接：连接前记录只保存在本工作站。",
    "Connected to %1 as a workstation of clinic %2 (device %3).": "已作为诊所 %2 的工作站连接到 %1（设备 %3）。",
    "Signed in to %1 as %2 (%3; specialties: %4).": "已以 %2 身份登录 %1（%3；专科：%4）。",
    "Certificates (*.pem *.crt *.cer)": "证书 (*.pem *.crt *.cer)",
    "All files (*)": "所有文件 (*)",
    "Type the address the administrator gave you, starting with https://": "请输入管理员提供的地址，以 https:// 开头",
    "Type the one-time code.": "请输入一次性验证码。",
    "Type your user name.": "请输入用户名。",
    "Type your password.": "请输入密码。",
    "Clinic workstation %1\n\nRecords, visits, consults and follow-ups for community clinics, kept encrypted on this PC and synced with the central platform.\n\nPython %2, Qt for Python %3, %4.": "诊所工作站 %1\n\n面向社区诊所的病历、就诊、会诊和随访管理，数据加密保存在本机并与中心平台同步。\n\nPython %2，Qt for Python %3，%4。",
    "Propose times for the video call": "提议视频会诊时间",
    "Up to three one-hour slots when the patient can be at the clinic.": "最多三个患者能到诊所的一小时时段。",
    "Slot %1": "时段 %1",
    "to %1": "至 %1",
    "A proposed slot must be in the future.": "提议的时段必须在将来。",
    "Propose each hour only once.": "每个时段只能提议一次。",
    "What to include": "附带内容",
    "The specialist sees the records you tick, and nothing else.": "专科医生只能看到您勾选的记录。",
    "Visits": "就诊",
    "No visits recorded.": "无就诊记录。",
    "Vitals": "生命体征",
    "No vitals recorded.": "无生命体征记录。",
    "Attachments (photos, ECG, X-ray…)": "附件（照片、心电图、X 光片…）",
    "No attachments.": "无附件。",
    "Sync now": "立即同步",
    "Sync with the central platform now (F5)": "立即与中心平台同步（F5）",
    "Not connected to a central platform": "未连接中心平台",
    "Connecting…": "正在连接…",
    "Online": "在线",
    "Offline — working locally": "离线 — 本地工作",
    "%n change(s) waiting": "%n 项更改待同步",
    "Last sync %1": "上次同步 %1",
    "Never synced": "从未同步",
    "%n conflict(s) to resolve": "%n 个冲突待解决",
    "Blood pressure (mmHg): %1 systolic, %2 diastolic": "血压（mmHg）：%1 收缩压，%2 舒张压",
    "Heart rate (/min)": "心率（次/分）",
    "Glucose (mmol/L)": "血糖（mmol/L）",
    "Weight (kg)": "体重（kg）",
    "No readings": "无测量值",
    "%1 readings; the highest and lowest of each period are plotted.": "%1 次测量；图中显示每个时段的最高值和最低值。",
    "%1 readings.": "%1 次测量。",
    "No vitals recorded yet.": "尚无生命体征记录。",
    "Sign in to open the clinic's records.": "登录以打开诊所记录。",
    "User": "用户",
    "Passphrase": "口令",
    "Sign in": "登录",
    "Recovery key (XXXX-XXXX-…)": "恢复密钥（XXXX-XXXX-…）",
    "Open with recovery key": "使用恢复密钥打开",
    "Forgot the passphrase?": "忘记口令？",
    "Opening the records…": "正在打开记录…",
    "Type your passphrase.": "请输入口令。",
    "Type the recovery key.": "请输入恢复密钥。",
    "Visit — %1": "就诊 — %1",
    "Reason for the visit (optional)": "就诊原因（可选）",
    "Form": "表单",
    "Date and time": "日期时间",
    "Print summary to PDF…": "打印摘要为 PDF…",
    "Save visit": "保存就诊",
    "Save the visit (Ctrl+S)": "保存就诊（Ctrl+S）",
    "Close": "关闭",
    "* required": "* 必填",
    "— not answered —": "— 未填写 —",
    "not answered": "未填写",
    "—": "—",
    "Please answer this.": "请填写此项。",
    "Diastolic pressure must be below systolic.": "舒张压必须低于收缩压。",
    "Visit saved.": "就诊已保存。",
    "Visit summary": "就诊摘要",
    "Doctor: %1": "医生：%1",
    "Save visit summary as PDF": "将就诊摘要保存为 PDF",
    "PDF files (*.pdf)": "PDF 文件 (*.pdf)",
    "Summary saved to %1": "摘要已保存到 %1",
    "Enter a number.": "请输入数字。",
    "Must be between %1 and %2 %3.": "必须在 %1 到 %2 %3 之间。",
    "= %1 %2": "= %1 %2",
    "Normal": "正常",
    "Draft (not sent)": "草稿（未发送）",
    "Queued offline": "离线排队中",
    "Delivered": "已送达",
    "Scheduled": "已安排",
    "Cancelled": "已取消",
    "Problem": "问题",
    "An unexpected problem occurred. Your saved records are safe. If it happens again, copy the details for support.": "发生意外问题。已保存的记录是安全的。如再次发生，请复制详细信息提供给技术支持。",
    "Copy details": "复制详细信息",
    "Schedule": "日程",
    "Consult desk": "会诊台",
    "Sync conflicts": "同步冲突",
    "Settings": "设置",
    "Users of this workstation": "本工作站的用户",
    "The other side has not joined yet: they may be offline or busy. You can keep waiting, or hang up; the consult's records still reach them by sync.": "对方尚未加入：可能不在线或正忙。您可以继续等待，或挂断；会诊资料仍会通过同步送达对方。",
    "The camera or microphone could not be started.": "无法启动摄像头或麦克风。",
    "Type a message and press Enter": "输入消息，按回车发送",
    "You": "我",
    "Other side": "对方",
    "Video consult — %1": "视频会诊 — %1",
    "Received and sent bitrate, round-trip time, packet loss, frames per second": "接收和发送码率、往返时延、丢包率、帧率",
    "Starting the call…": "正在发起通话…",
    "Unmute": "取消静音",
    "Mute": "静音",
    "Microphone on or off (Ctrl+M)": "打开或关闭麦克风（Ctrl+M）",
    "Camera on": "打开摄像头",
    "Camera off": "关闭摄像头",
    "Camera on or off (Ctrl+E)": "打开或关闭摄像头（Ctrl+E）",
    "Audio only": "仅语音",
    "Stop video both ways and keep talking (for a weak link)": "双方停止视频，只保留语音（网络差时使用）",
    "Hang up": "挂断",
    "End the call (Ctrl+Shift+H)": "结束通话（Ctrl+Shift+H）",
    "Chat": "文字交流",
    "Files": "文件",
    "Live vitals": "实时体征",
    "This workstation is not connected to the central platform, so a live call is not possible. The consult itself still goes to the specialist when the records sync.": "本工作站尚未连接中心平台，无法进行实时通话。会诊申请本身会在病历同步时送达专科医生。",
    "No live call": "无实时通话",
    "Waiting for the other side to join…": "等待对方加入…",
    "Connected": "已接通",
    "Connection lost — reconnecting…": "连接中断，正在重新连接…",
    "The call has ended.": "通话已结束。",
    "The call failed.": "通话失败。",
    "Audio only: video is paused.": "仅语音：视频已暂停。",
    "The other side turned the camera off.": "对方关闭了摄像头。",
    "RTT %1 · loss %2% · %3 fps": "时延 %1 · 丢包 %2% · %3 帧/秒",
    "Share a file in the call": "在通话中分享文件",
    "Video call": "视频通话",
    "Start or join the live call of this consult (Ctrl+J)": "发起或加入本会诊的实时通话（Ctrl+J）",
    "From the chart": "来自病历",
    "Share selected": "分享所选",
    "Share a file…": "分享文件…",
    "Transfers": "传输",
    "Keep in the chart": "存入病历",
    "%p% of %1 MB": "%p%，共 %1 MB",
    "Arrived intact (SHA-256 checked)": "已完整送达（SHA-256 已校验）",
    "Join video call": "加入视频通话",
    "Join the live call of the selected consult appointment (Ctrl+J)": "加入所选会诊预约的实时通话（Ctrl+J）",
    "Send reading": "发送读数",
    "sent": "已发送",
    "received": "已收到",
    "Withdrawn": "已撤回",
    "Each user signs in with their own passphrase: %1.": "每位用户用自己的密码登录：%1。",
    "New user name": "新用户名",
    "Their passphrase": "其密码",
    "e.g. dr.zhang": "例如 dr.zhang",
    "Add user": "添加用户",
    "Use 2 to 32 letters, digits, dots, dashes or underscores.": "请使用 2 到 32 个字母、数字、点、短横线或下划线。",
    "That user already exists here.": "本工作站已有该用户。",
    "The two passphrases differ.": "两次输入的密码不一致。",
    "%1 can now sign in on this workstation.": "%1 现在可以登录本工作站。",
    "Set up this workstation": "设置本工作站",
    "The clinic's records are kept encrypted on this PC. Choose who signs in first and their passphrase; more users can be added later in the settings.": "诊所的病历加密保存在这台电脑上。请设置第一位登录的用户及其密码；其他用户以后可在设置中添加。",
    "e.g. Shanhe Township Health Centre": "例如 山河乡卫生院",
    "Clinic": "诊所",
    "Your user name": "您的用户名",
    "Create the encrypted records": "创建加密病历库",
    "Type the clinic's name.": "请输入诊所名称。",
    "Creating the encrypted records…": "正在创建加密病历库…",
    "Write down the recovery key": "请抄下恢复密钥",
    "If every passphrase is forgotten, this key is the only way to open the records. It is shown only now. Write it on paper and keep it locked away from the PC; do not store it in a file or a photo.": "如果所有密码都忘记了，只有这个密钥能打开病历。它只显示这一次。请把它抄在纸上，锁好并远离电脑存放；不要存成文件或拍照。",
    "I have written it down: continue": "我已抄好，继续",
    "To confirm, type group %1 and group %2 of the key (groups are counted from 1).": "为确认，请输入密钥的第 %1 组和第 %2 组（从 1 开始数）。",
    "Group %1": "第 %1 组",
    "That is not group %1 of the key.": "这不是密钥的第 %1 组。",
    "Set a new passphrase with the recovery key": "用恢复密钥设置新密码",
    "The recovery key was shown once when this workstation was set up (13 groups of four letters and digits). It sets a new passphrase for the user chosen above.": "恢复密钥在设置本工作站时显示过一次（13 组，每组四个字母或数字）。它可为上面选中的用户设置新密码。",
    "Recovery key": "恢复密钥",
    "Set the new passphrase and sign in": "设置新密码并登录",
    "Choose the user whose passphrase is forgotten.": "请选择忘记密码的用户。",
}

# Where one English word needs different Chinese in one context.
CONTEXT_ZH: dict[tuple[str, str], str] = {
    ("ChartScreen", "Specialist"): "专科医生",
    ("ConflictsScreen", "Visit"): "就诊",
    ("ScheduleScreen", "Due"): "到期日",
    ("ConflictsScreen", "Due"): "到期日",
    ("DeskScreen", "Opinion"): "意见",
}


def _context(root: ET.Element, name: str) -> ET.Element:
    for context in root.iter("context"):
        if context.findtext("name") == name:
            return context
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = name
    return context


def rehome(root: ET.Element) -> None:
    """Move messages of the empty context to their helper's context."""
    for context in list(root.iter("context")):
        if context.findtext("name"):
            continue
        for message in context.findall("message"):
            location = message.find("location")
            filename = Path(location.get("filename", "")).name if location is not None else ""
            target = HELPER_CONTEXTS.get(filename)
            if target is None:
                continue
            context.remove(message)
            _context(root, target).append(message)
        if not context.findall("message"):
            root.remove(context)


def translate(context: str, source: str) -> str | None:
    return CONTEXT_ZH.get((context, source)) or UI_ZH.get(source)


def fill(ts: Path) -> list[tuple[str, str]]:
    tree = ET.parse(ts)
    root = tree.getroot()
    rehome(root)
    missing: list[tuple[str, str]] = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        if name == "core":
            continue
        messages = context.findall("message")
        kept = {}
        for message in messages:
            translation = message.find("translation")
            assert translation is not None
            if translation.get("type") in DEAD:
                text = translation.text or "".join(
                    n.text or "" for n in translation.findall("numerusform")
                )
                if text.strip():
                    kept[message.findtext("source")] = translation
                context.remove(message)
        for message in context.findall("message"):
            source = message.findtext("source") or ""
            translation = message.find("translation")
            assert translation is not None
            if translation.get("type") != "unfinished":
                continue
            old = kept.get(source)
            if old is not None:
                text = old.text or "".join(n.text or "" for n in old.findall("numerusform"))
            else:
                text = translate(name, source) or ""
            if not text:
                missing.append((name, source))
                continue
            if message.get("numerus") == "yes":
                for form in list(translation):
                    translation.remove(form)
                translation.text = None
                ET.SubElement(translation, "numerusform").text = text
            else:
                translation.text = text
            del translation.attrib["type"]
    ET.indent(tree, space="    ")
    with ts.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(out, encoding="utf-8", xml_declaration=False)
        out.write(b"\n")
    return missing


def main(argv: list[str]) -> int:
    ts = Path(argv[1]) if len(argv) > 1 else TS
    missing = fill(ts)
    print(f"ui: {len(missing)} untranslated")
    for context, source in missing:
        print(f"  untranslated [{context}]: {source!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
