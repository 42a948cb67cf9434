<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>BackupRunner</name>
        <message>
            <location filename="../backup_runner.py" line="139" />
            <source>The backup failed unexpectedly; the records are unchanged.</source>
            <translation>备份意外失败；病历未受影响。</translation>
        </message>
        <message>
            <location filename="../backup_runner.py" line="179" />
            <source>Closing</source>
            <translation>正在关闭</translation>
        </message>
        <message>
            <location filename="../backup_runner.py" line="181" />
            <source>Writing the automatic backup to %1 before closing…</source>
            <translation>关闭前正在将自动备份写入 %1…</translation>
        </message>
        <message>
            <location filename="../backup_runner.py" line="195" />
            <source>The backup to %1 takes longer than usual; the workstation closes as soon as it is written.</source>
            <translation>写入 %1 的备份比平时耗时更长；写完后工作站即关闭。</translation>
        </message>
        <message>
            <location filename="../backup_runner.py" line="215" />
            <source>Backup not made</source>
            <translation>未能备份</translation>
        </message>
        <message>
            <location filename="../backup_runner.py" line="217" />
            <source>The backup at close was not made: %1

The records on this PC are safe.</source>
            <translation>关闭时的备份未能完成：%1

本机上的病历安全无损。</translation>
        </message>
    </context>
    <context>
        <name>BackupsBox</name>
        <message>
            <location filename="../backups_box.py" line="104" />
            <source>Automatic backups</source>
            <translation>自动备份</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="105" />
            <location filename="../backups_box.py" line="197" />
            <source>Backup folder</source>
            <translation>备份文件夹</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="106" />
            <source>not chosen (backups are off)</source>
            <translation>未选择（备份已关闭）</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="109" />
            <source>Best on another disk, a USB stick or a network share: a failing disk must not take the records and their backups together.</source>
            <translation>最好放在另一块磁盘、U 盘或网络共享上：磁盘损坏时，病历和备份不会一同丢失。</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="113" />
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="114" />
            <source>Turn off</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="115" />
            <source>Back up every</source>
            <translation>备份间隔</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="116" />
            <source> h</source>
            <translation> 小时</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="117" />
            <source>Daily backups kept</source>
            <translation>保留每日备份</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="118" />
            <source>Weekly backups kept</source>
            <translation>保留每周备份</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="119" />
            <source>Warn when older than</source>
            <translation>超过多久提醒</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="120" />
            <source> days</source>
            <translation> 天</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="121" />
            <source>Back up now</source>
            <translation>立即备份</translation>
        </message>
        <message numerus="yes">
            <location filename="../backups_box.py" line="175" />
            <source>Newest good backup: %1 (%n kept).</source>
            <translation>
                <numerusform>最新的有效备份：%1（共保留 %n 份）。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="178" />
            <source>No good backup in this folder yet.</source>
            <translation>此文件夹中还没有有效备份。</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="183" />
            <source>This folder is on the same disk as the records: choose another disk.</source>
            <translation>此文件夹与病历在同一块磁盘上：请选择另一块磁盘。</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="187" />
            <source>The last automatic backup failed: %1</source>
            <translation>上次自动备份失败：%1</translation>
        </message>
        <message>
            <location filename="../backups_box.py" line="258" />
            <source>Backup written and verified: %1</source>
            <translation>备份已写入并通过校验：%1</translation>
        </message>
    </context>
    <context>
        <name>BookDialog</name>
        <message>
            <location filename="../schedule_screen.py" line="173" />
            <source>Book a slot</source>
            <translation>预约时段</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="184" />
            <location filename="../schedule_screen.py" line="186" />
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="201" />
            <source>Slot</source>
            <translation>时段</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="203" />
            <source>Doctor</source>
            <translation>医生</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="205" />
            <source>e.g. follow-up visit, video consult</source>
            <translation>如：复诊、视频会诊</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="206" />
            <source>Description</source>
            <translation>说明</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="213" />
            <source>Book</source>
            <translation>预约</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="235" />
            <source>Find and choose the patient.</source>
            <translation>请查找并选择患者。</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="238" />
            <source>Say which doctor sees the patient.</source>
            <translation>请指定接诊医生。</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="242" />
            <source>That slot is over; choose a later one.</source>
            <translation>该时段已过，请选择更晚的时段。</translation>
        </message>
    </context>
    <context>
        <name>CaseView</name>
        <message>
            <location filename="../desk_screen.py" line="396" />
            <source>None sent</source>
            <translation>未发送</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="399" />
            <source>Problems</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="399" />
            <source>Medicines</source>
            <translation>药物</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="399" />
            <source>Allergies</source>
            <translation>过敏史</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="407" />
            <source>Vitals trends (the readings sent)</source>
            <translation>生命体征趋势（所发送的读数）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="428" />
            <source>Immediately (stat)</source>
            <translation>立即（急诊）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="429" />
            <source>As soon as possible</source>
            <translation>尽快</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="430" />
            <source>Urgent</source>
            <translation>紧急</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="431" />
            <source>Routine</source>
            <translation>常规</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="436" />
            <source>high</source>
            <translation>偏高</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="437" />
            <source>low</source>
            <translation>偏低</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="438" />
            <source>critically high</source>
            <translation>危急偏高</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="439" />
            <source>critically low</source>
            <translation>危急偏低</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="446" />
            <source>Yes</source>
            <translation>是</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="446" />
            <source>No</source>
            <translation>否</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="455" />
            <source>Visit</source>
            <translation>就诊</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="458" />
            <source>%1 on %2</source>
            <translation>%2 %1</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="459" />
            <source>%1 — %2</source>
            <translation>%1 — %2</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="461" />
            <source>Form answers</source>
            <translation>表单回答</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="467" />
            <location filename="../desk_screen.py" line="501" />
            <location filename="../desk_screen.py" line="607" />
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="469" />
            <source>%1 (%2)</source>
            <translation>%1（%2）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="475" />
            <source>%1 (%2, %3 KB) — double-click to read</source>
            <translation>%1（%2，%3 KB）— 双击查看</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="481" />
            <source>Condition: %1</source>
            <translation>疾病：%1</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="484" />
            <source>Allergy: %1</source>
            <translation>过敏：%1</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="487" />
            <source>Medication: %1</source>
            <translation>用药：%1</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="516" />
            <source>Question</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="517" />
            <source>Sent with the request</source>
            <translation>随申请发送</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="518" />
            <source>Conversation</source>
            <translation>往来记录</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="530" />
            <source>Choose a consult request from the worklist.</source>
            <translation>请从工作列表中选择会诊申请。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="536" />
            <source>Patient not on this workstation yet</source>
            <translation>患者尚未同步到本工作站</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="542" />
            <source>male</source>
            <translation>男</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="542" />
            <source>female</source>
            <translation>女</translation>
        </message>
        <message numerus="yes">
            <location filename="../desk_screen.py" line="546" />
            <source>%n year(s)</source>
            <translation>
                <numerusform>%n 岁</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="554" />
            <source>Click a masked number to show it in full (recorded)</source>
            <translation>点击已遮挡的号码可显示完整号码（将被记录）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="557" />
            <source>%1 · %2 · sent %3 by %4</source>
            <translation>%1 · %2 · %4 于 %3 发送</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="566" />
            <source>Nothing was attached to this request.</source>
            <translation>此申请未附带任何内容。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="571" />
            <source>%1 — not on this workstation yet (arrives with the next sync)</source>
            <translation>%1 — 尚未同步到本工作站（下次同步时到达）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="589" />
            <location filename="../desk_screen.py" line="635" />
            <source>%1, %2: %3</source>
            <translation>%1，%2：%3</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="596" />
            <source>Not accepted or declined yet.</source>
            <translation>尚未接受或拒绝。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="599" />
            <source>Accepted by %1 on %2</source>
            <translation>%1 于 %2 接受</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="601" />
            <source>Declined by %1 on %2</source>
            <translation>%1 于 %2 拒绝</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="611" />
            <source>Slot booked: %1</source>
            <translation>已预约时段：%1</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="613" />
            <source>Slot proposed by the clinic: %1</source>
            <translation>诊所提议的时段：%1</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="618" />
            <source>Opinion (%1): %2</source>
            <translation>会诊意见（%1）：%2</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="625" />
            <source>Prescription: %1 — %2</source>
            <translation>处方：%1 — %2</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="629" />
            <source>Referral to %1</source>
            <translation>转诊至%1</translation>
        </message>
    </context>
    <context>
        <name>ChartMedications</name>
        <message>
            <location filename="../chart_medications.py" line="50" />
            <source>Medication</source>
            <translation>药品</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="50" />
            <source>Dosage</source>
            <translation>用法用量</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="50" />
            <source>Since</source>
            <translation>开始</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="50" />
            <source>Notes</source>
            <translation>备注</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="61" />
            <source>Stop…</source>
            <translation>停用…</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="63" />
            <source>Taken from elsewhere…</source>
            <translation>外院用药…</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="65" />
            <source>Prescribe…</source>
            <translation>开处方…</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="119" />
            <source>Current (%1)</source>
            <translation>当前用药（%1）</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="120" />
            <source>Stopped and replaced (%1)</source>
            <translation>已停用及被替换（%1）</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="136" />
            <source>%1 with warnings</source>
            <translation>%1 项有警示</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="143" />
            <source>taken from elsewhere</source>
            <translation>外院用药</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="145" />
            <source>by %1</source>
            <translation>开具：%1</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="147" />
            <source>dose changed %1</source>
            <translation>剂量调整 %1</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="149" />
            <source>replaced %1</source>
            <translation>%1 被替换</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="151" />
            <source>stopped %1: %2</source>
            <translation>%1 停用：%2</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="152" />
            <source>no reason given</source>
            <translation>未填理由</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="155" />
            <source>warnings overridden with a reason</source>
            <translation>已填理由忽略警示</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="187" />
            <source>Medicine taken from elsewhere</source>
            <translation>外院用药</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="188" />
            <source>Medicine, strength and dosage, and who prescribed it:</source>
            <translation>药品、规格、用法及开具来源：</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="203" />
            <source>Stop medicine</source>
            <translation>停用药品</translation>
        </message>
        <message>
            <location filename="../chart_medications.py" line="203" />
            <source>Why is it stopped?</source>
            <translation>停用原因？</translation>
        </message>
    </context>
    <context>
        <name>ChartScreen</name>
        <message>
            <location filename="../chart_screen.py" line="107" />
            <source>Open a patient from the Patients list to see the chart.</source>
            <translation>请在患者列表中打开患者以查看病历。</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="141" />
            <source>Click a masked number to show it in full (recorded)</source>
            <translation>点击已遮挡的号码可显示完整号码（将被记录）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="150" />
            <source>New visit</source>
            <translation>新建就诊</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="151" />
            <source>Record a visit (Ctrl+Shift+V)</source>
            <translation>记录就诊（Ctrl+Shift+V）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="153" />
            <source>Ask a specialist</source>
            <translation>申请会诊</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="154" />
            <source>Request a remote consult (Ctrl+K)</source>
            <translation>申请远程会诊（Ctrl+K）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="156" />
            <source>Edit patient</source>
            <translation>编辑患者</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="157" />
            <source>Edit the patient's details (Ctrl+E)</source>
            <translation>编辑患者信息（Ctrl+E）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="159" />
            <source>Print…</source>
            <translation>打印…</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="161" />
            <source>Print a prescription, referral, opinion or visit summary</source>
            <translation>打印处方、转诊单、会诊意见或就诊小结</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="168" />
            <source>Allergies</source>
            <translation>过敏史</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="169" />
            <source>Active conditions</source>
            <translation>现患疾病</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="170" />
            <source>Current medications</source>
            <translation>当前用药</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="182" />
            <source>Join call</source>
            <translation>加入通话</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="184" />
            <source>Join the video call of the consult selected in the timeline (Ctrl+J)</source>
            <translation>加入时间线中所选会诊的视频通话（Ctrl+J）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="191" />
            <source>Timeline</source>
            <translation>时间线</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="200" />
            <source>Drop image, PDF or DICOM files anywhere on the chart to attach.</source>
            <translation>将图片、PDF 或 DICOM 文件拖到病历任意位置即可添加附件。</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="205" />
            <source>View</source>
            <translation>查看</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="207" />
            <source>Open with system viewer</source>
            <translation>用系统查看器打开</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="209" />
            <source>Attach file…</source>
            <translation>添加附件…</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="210" />
            <source>Attach files to the chart (Ctrl+O)</source>
            <translation>向病历添加附件（Ctrl+O）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="217" />
            <source>Attachments</source>
            <translation>附件</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="219" />
            <source>Medications</source>
            <translation>用药</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="221" />
            <source>Problems and allergies</source>
            <translation>问题与过敏</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="222" />
            <source>Vitals trends</source>
            <translation>生命体征趋势</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="285" />
            <source>Loading…</source>
            <translation>正在加载…</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="374" />
            <source>None recorded</source>
            <translation>无记录</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="379" />
            <source>No known allergies (stated %1)</source>
            <translation>无已知过敏（%1 记录）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="410" />
            <source>%1   (%2, %3 KB, %4)</source>
            <translation>%1   （%2，%3 KB，%4）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="421" />
            <source>Attachments (%1)</source>
            <translation>附件（%1）</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="464" />
            <source>This image cannot be shown; try the system viewer.</source>
            <translation>无法显示此图片，请尝试系统查看器。</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="487" />
            <source>Attach files to the chart</source>
            <translation>向病历添加附件</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="491" />
            <source>Images, PDF, DICOM, text (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pdf *.dcm *.txt);;All files (*)</source>
            <translation>图片、PDF、DICOM、文本 (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pdf *.dcm *.txt);;所有文件 (*)</translation>
        </message>
        <message>
            <location filename="../chart_screen.py" line="508" />
            <source>Attaching %1…</source>
            <translation>正在添加 %1…</translation>
        </message>
    </context>
    <context>
        <name>ChartTimeline</name>
        <message>
            <location filename="../chart_timeline.py" line="50" />
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="50" />
            <source>Entry</source>
            <translation>条目</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="50" />
            <source>Summary</source>
            <translation>摘要</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="50" />
            <location filename="../chart_timeline.py" line="222" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="74" />
            <source>Send this draft to the specialist</source>
            <translation>将此草稿发送给专科医生</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="89" />
            <source>Specialist opinion</source>
            <translation>专科意见</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="90" />
            <source>Prescription</source>
            <translation>处方</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="91" />
            <source>Consult request</source>
            <translation>会诊申请</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="92" />
            <source>Referral</source>
            <translation>转诊</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="93" />
            <source>BP %1/%2</source>
            <translation>血压 %1/%2</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="94" />
            <source>⚠ %1 abnormal</source>
            <translation>⚠ %1 项异常</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="158" />
            <source>Nothing recorded yet.</source>
            <translation>暂无记录。</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="197" />
            <source>Doctor</source>
            <translation>医生</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="199" />
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="204" />
            <source>Vitals</source>
            <translation>生命体征</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="215" />
            <source>Specialty</source>
            <translation>专科</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="216" />
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="217" />
            <location filename="../chart_timeline.py" line="244" />
            <source>Question</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="228" />
            <source>Requested by</source>
            <translation>申请人</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="231" />
            <source>Records included</source>
            <translation>附带记录</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="234" />
            <source>Proposed slot</source>
            <translation>提议时段</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="236" />
            <source>Appointment</source>
            <translation>预约</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="241" />
            <source>Specialist</source>
            <translation>专科医生</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="245" />
            <source>Opinion</source>
            <translation>会诊意见</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="247" />
            <source>Medication</source>
            <translation>药品</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="249" />
            <source>Dosage</source>
            <translation>用法用量</translation>
        </message>
        <message>
            <location filename="../chart_timeline.py" line="251" />
            <source>Prescriber</source>
            <translation>开方医生</translation>
        </message>
    </context>
    <context>
        <name>ChatPanel</name>
        <message>
            <location filename="../call_panels.py" line="54" />
            <source>Type a message and press Enter</source>
            <translation>输入消息，按回车发送</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="56" />
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="74" />
            <source>You</source>
            <translation>我</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="74" />
            <source>Other side</source>
            <translation>对方</translation>
        </message>
    </context>
    <context>
        <name>ConditionRow</name>
        <message>
            <location filename="../query_screen.py" line="103" />
            <source>not</source>
            <translation>非</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="104" />
            <source>Remove this condition</source>
            <translation>删除此条件</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="105" />
            <source>Diagnosis (ICD-10)</source>
            <translation>诊断（ICD-10）</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="105" />
            <source>Vital sign</source>
            <translation>生命体征</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="106" />
            <source>Followed up within (days)</source>
            <translation>随访间隔（天）以内</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="107" />
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="107" />
            <source>Visit form answer</source>
            <translation>就诊表单答案</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="108" />
            <source>Medicine (ingredient or ATC)</source>
            <translation>药品（成分或 ATC）</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="111" />
            <source> days</source>
            <translation> 天</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="128" />
            <source>Age</source>
            <translation>年龄</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="128" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="128" />
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="129" />
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="134" />
            <source>Initial</source>
            <translation>初诊</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="134" />
            <source>Follow-up</source>
            <translation>复诊</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="141" />
            <source>latest</source>
            <translation>最近一次</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="141" />
            <source>any</source>
            <translation>任一值</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="143" />
            <source>any within</source>
            <translation>期间内任一值</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="175" />
            <source>contains</source>
            <translation>包含</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="183" />
            <source>yes</source>
            <translation>是</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="183" />
            <source>no</source>
            <translation>否</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="189" />
            <source>e.g. amlodipine or C08</source>
            <translation>如 氨氯地平 或 C08</translation>
        </message>
    </context>
    <context>
        <name>ConflictsScreen</name>
        <message>
            <location filename="../conflicts_screen.py" line="285" />
            <source>Field</source>
            <translation>字段</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="286" />
            <source>Before (both started here)</source>
            <translation>修改前（双方共同的版本）</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="287" />
            <source>On this workstation</source>
            <translation>本工作站</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="288" />
            <source>On the central platform</source>
            <translation>中心平台</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="289" />
            <source>Keep</source>
            <translation>保留</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="302" />
            <source>Patient details</source>
            <translation>患者信息</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="303" />
            <location filename="../conflicts_screen.py" line="345" />
            <source>Visit</source>
            <translation>就诊</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="304" />
            <source>Visit form</source>
            <translation>就诊表单</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="305" />
            <source>Appointment</source>
            <translation>预约</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="306" />
            <source>Follow-up or task</source>
            <translation>随访或任务</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="307" />
            <source>Care plan</source>
            <translation>诊疗计划</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="308" />
            <source>Consult or referral</source>
            <translation>会诊或转诊</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="309" />
            <source>Condition</source>
            <translation>疾病</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="310" />
            <source>Allergy</source>
            <translation>过敏</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="311" />
            <source>Document</source>
            <translation>文档</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="316" />
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="317" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="318" />
            <source>Birth date</source>
            <translation>出生日期</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="319" />
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="320" />
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="321" />
            <source>ID numbers</source>
            <translation>证件号码</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="322" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="323" />
            <source>Description</source>
            <translation>说明</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="324" />
            <source>Start</source>
            <translation>开始</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="325" />
            <source>End</source>
            <translation>结束</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="326" />
            <source>Participants</source>
            <translation>参与者</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="327" />
            <location filename="../conflicts_screen.py" line="372" />
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="328" />
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="329" />
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="330" />
            <source>Answers</source>
            <translation>回答</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="331" />
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="332" />
            <source>Due</source>
            <translation>到期日</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="333" />
            <source>What</source>
            <translation>内容</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="334" />
            <source>Clinical status</source>
            <translation>临床状态</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="335" />
            <source>Verification</source>
            <translation>核实状态</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="336" />
            <source>Requested in</source>
            <translation>所属申请</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="337" />
            <source>Duration (minutes)</source>
            <translation>时长（分钟）</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="338" />
            <source>Created</source>
            <translation>创建时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="339" />
            <source>Comment</source>
            <translation>备注</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="340" />
            <source>Service</source>
            <translation>服务</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="341" />
            <source>Appointment type</source>
            <translation>预约类型</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="342" />
            <source>Time slot</source>
            <translation>时段</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="343" />
            <location filename="../conflicts_screen.py" line="344" />
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="346" />
            <source>Written on</source>
            <translation>开具时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="347" />
            <source>Requested by</source>
            <translation>申请人</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="348" />
            <source>Specialty</source>
            <translation>专科</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="349" />
            <source>Performed by</source>
            <translation>执行者</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="350" />
            <source>Category</source>
            <translation>类别</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="351" />
            <source>Intent</source>
            <translation>意图</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="352" />
            <location filename="../conflicts_screen.py" line="353" />
            <location filename="../conflicts_screen.py" line="354" />
            <source>When</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="355" />
            <source>Responsible</source>
            <translation>负责人</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="356" />
            <source>About</source>
            <translation>关于</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="357" />
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="358" />
            <source>Content</source>
            <translation>内容</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="359" />
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="360" />
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="361" />
            <source>Class</source>
            <translation>类别</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="362" />
            <source>Active</source>
            <translation>进行中</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="363" />
            <source>Onset</source>
            <translation>起病时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="364" />
            <source>Recorded on</source>
            <translation>记录时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="365" />
            <source>Reaction</source>
            <translation>反应</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="366" />
            <source>Criticality</source>
            <translation>严重程度</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="367" />
            <source>Activities</source>
            <translation>活动</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="368" />
            <source>Form</source>
            <translation>表单</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="369" />
            <source>Filled in on</source>
            <translation>填写时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="370" />
            <source>Author</source>
            <translation>作者</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="371" />
            <source>Sent with it</source>
            <translation>随附资料</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="373" />
            <source>More details</source>
            <translation>更多信息</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="374" />
            <source>Contact person</source>
            <translation>联系人</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="375" />
            <source>Marital status</source>
            <translation>婚姻状况</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="376" />
            <source>Deceased</source>
            <translation>已故</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="411" />
            <location filename="../conflicts_screen.py" line="463" />
            <source>%1 — %2</source>
            <translation>%1 — %2</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="413" />
            <source>deleted on one side, changed on the other</source>
            <translation>一方已删除，另一方已修改</translation>
        </message>
        <message numerus="yes">
            <location filename="../conflicts_screen.py" line="415" />
            <source>%n field(s) changed on both sides</source>
            <translation>
                <numerusform>%n 个字段双方都有修改</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="418" />
            <source>%1
%2 · %3</source>
            <translation>%1
%2 · %3</translation>
        </message>
        <message numerus="yes">
            <location filename="../conflicts_screen.py" line="429" />
            <source>%n conflict(s) waiting for a decision</source>
            <translation>
                <numerusform>%n 个冲突待处理</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="431" />
            <source>No conflicts: every change here agrees with the central platform.</source>
            <translation>没有冲突：此处的所有更改均与中心平台一致。</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="469" />
            <source>This record was deleted on this workstation, but someone changed it on the central platform meanwhile. Keep it deleted, or bring back the version from the central platform (shown below).</source>
            <translation>此记录已在本工作站删除，但期间有人在中心平台上修改了它。可以保持删除，或恢复中心平台上的版本（见下方）。</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="474" />
            <source>Keep it deleted</source>
            <translation>保持删除</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="475" />
            <source>Bring back the central platform's version</source>
            <translation>恢复中心平台的版本</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="479" />
            <source>This record was deleted on the central platform (by another workstation or the specialist), but it was changed here meanwhile. Keep your version (it is sent again), or accept the deletion.</source>
            <translation>此记录已在中心平台上被删除（由其他工作站或专科医生），但期间在此处被修改过。可以保留您的版本（将重新发送），或接受删除。</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="484" />
            <source>Keep my version</source>
            <translation>保留我的版本</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="485" />
            <source>Accept the deletion</source>
            <translation>接受删除</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="489" />
            <source>This record was changed here and on the central platform since they last agreed. Changes to different fields were merged already; for each field below, choose which version to keep.</source>
            <translation>自上次一致以来，此记录在本地和中心平台上都被修改过。不同字段的修改已自动合并；请为下面每个字段选择要保留的版本。</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="494" />
            <source>Keep mine for all fields</source>
            <translation>全部保留我的</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="495" />
            <source>Keep theirs for all fields</source>
            <translation>全部采用对方的</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="496" />
            <source>Use this workstation's version</source>
            <translation>采用本工作站的版本</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="497" />
            <source>Use the central platform's version</source>
            <translation>采用中心平台的版本</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="498" />
            <source>Apply my choices</source>
            <translation>应用我的选择</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="517" />
            <source>(deleted)</source>
            <translation>（已删除）</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="544" />
            <source>Mine</source>
            <translation>我的</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="545" />
            <source>Theirs</source>
            <translation>对方的</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="564" />
            <source>Choose mine or theirs for every field first.</source>
            <translation>请先为每个字段选择我的或对方的版本。</translation>
        </message>
    </context>
    <context>
        <name>ConsultRoom</name>
        <message>
            <location filename="../consult_room.py" line="169" />
            <source>Video consult — %1</source>
            <translation>视频会诊 — %1</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="182" />
            <source>Received and sent bitrate, round-trip time, packet loss, frames per second</source>
            <translation>接收和发送码率、往返时延、丢包率、帧率</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="202" />
            <source>Starting the call…</source>
            <translation>正在发起通话…</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="270" />
            <source>Unmute</source>
            <translation>取消静音</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="271" />
            <source>Mute</source>
            <translation>静音</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="272" />
            <source>Microphone on or off (Ctrl+M)</source>
            <translation>打开或关闭麦克风（Ctrl+M）</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="274" />
            <source>Camera on</source>
            <translation>打开摄像头</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="274" />
            <location filename="../consult_room.py" line="512" />
            <location filename="../consult_room.py" line="542" />
            <source>Camera off</source>
            <translation>关闭摄像头</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="276" />
            <source>Camera on or off (Ctrl+E)</source>
            <translation>打开或关闭摄像头（Ctrl+E）</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="277" />
            <location filename="../consult_room.py" line="512" />
            <source>Audio only</source>
            <translation>仅语音</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="279" />
            <source>Stop video both ways and keep talking (for a weak link)</source>
            <translation>双方停止视频，只保留语音（网络差时使用）</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="281" />
            <source>Headset</source>
            <translation>耳机</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="283" />
            <source>Tick when you wear a headset: echo cancellation is then turned off</source>
            <translation>佩戴耳机时请勾选：将关闭回声消除</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="285" />
            <source>Hang up</source>
            <translation>挂断</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="286" />
            <source>End the call (Ctrl+Shift+H)</source>
            <translation>结束通话（Ctrl+Shift+H）</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="287" />
            <source>Chat</source>
            <translation>文字交流</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="288" />
            <source>Files</source>
            <translation>文件</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="289" />
            <source>Live vitals</source>
            <translation>实时体征</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="312" />
            <source>This workstation is not connected to the central platform, so a live call is not possible. The consult itself still goes to the specialist when the records sync.</source>
            <translation>本工作站尚未连接中心平台，无法进行实时通话。会诊申请本身会在病历同步时送达专科医生。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="329" />
            <source>The camera or microphone could not be started.</source>
            <translation>无法启动摄像头或麦克风。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="367" />
            <source>The loudspeaker could not be started; you will not hear the other side.</source>
            <translation>扬声器无法启动，您将听不到对方的声音。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="399" />
            <source>No live call</source>
            <translation>无实时通话</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="411" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="417" />
            <source>Waiting for the other side to join…</source>
            <translation>等待对方加入…</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="418" />
            <source>Connecting…</source>
            <translation>正在连接…</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="419" />
            <source>Connected</source>
            <translation>已接通</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="420" />
            <source>Connection lost — reconnecting…</source>
            <translation>连接中断，正在重新连接…</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="421" />
            <source>The call has ended.</source>
            <translation>通话已结束。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="422" />
            <source>The call failed.</source>
            <translation>通话失败。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="439" />
            <source>no connection</source>
            <translation>无连接</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="453" />
            <source>The other side has not joined yet: they may be offline or busy. You can keep waiting, or hang up; the consult's records still reach them by sync.</source>
            <translation>对方尚未加入：可能不在线或正忙。您可以继续等待，或挂断；会诊资料仍会通过同步送达对方。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="471" />
            <source>Audio only: video is paused.</source>
            <translation>仅语音：视频已暂停。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="473" />
            <source>The link is weak: video is paused and will come back by itself.</source>
            <translation>网络连接较弱：视频已暂停，恢复后会自动继续。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="474" />
            <source>The other side turned the camera off.</source>
            <translation>对方关闭了摄像头。</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="487" />
            <source>RTT %1 · loss %2% · %3 fps</source>
            <translation>时延 %1 · 丢包 %2% · %3 帧/秒</translation>
        </message>
        <message>
            <location filename="../consult_room.py" line="565" />
            <source>Share a file in the call</source>
            <translation>在通话中分享文件</translation>
        </message>
    </context>
    <context>
        <name>ConsultWizard</name>
        <message>
            <location filename="../consult_wizard.py" line="359" />
            <source>Ask a specialist — %1</source>
            <translation>申请会诊 — %1</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="370" />
            <source>Save as draft</source>
            <translation>存为草稿</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="371" />
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="415" />
            <source>Specialty</source>
            <translation>专科</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="416" />
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="417" />
            <source>Question</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="419" />
            <source>Included</source>
            <translation>附带内容</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="420" />
            <source>%1 visit(s), %2 vital sign reading(s), %3 attachment(s)</source>
            <translation>%1 次就诊，%2 条生命体征记录，%3 个附件</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="426" />
            <source>Summary</source>
            <translation>摘要</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="427" />
            <source>%1 problem(s), %2 medicine(s), %3 allergy record(s)</source>
            <translation>%1 个问题，%2 种药物，%3 条过敏记录</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="433" />
            <source>Proposed slots</source>
            <translation>提议时段</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="434" />
            <source>none</source>
            <translation>无</translation>
        </message>
    </context>
    <context>
        <name>DeskScreen</name>
        <message>
            <location filename="../desk_screen.py" line="738" />
            <source>Specialty</source>
            <translation>专科</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="739" />
            <source>All specialties</source>
            <translation>全部专科</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="742" />
            <source>Show answered and declined</source>
            <translation>显示已答复和已拒绝</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="745" />
            <location filename="../desk_screen.py" line="1069" />
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="746" />
            <source>Received</source>
            <translation>收到时间</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="747" />
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="748" />
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="749" />
            <source>Slot</source>
            <translation>时段</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="750" />
            <source>Question</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="754" />
            <source>Accept…</source>
            <translation>接受…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="754" />
            <source>Accept the consult (Ctrl+Shift+A)</source>
            <translation>接受会诊（Ctrl+Shift+A）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="757" />
            <source>Decline…</source>
            <translation>拒绝…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="758" />
            <source>Decline the consult with a reason (Ctrl+Shift+D)</source>
            <translation>拒绝会诊并说明原因（Ctrl+Shift+D）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="762" />
            <source>Book a slot…</source>
            <translation>预约时段…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="763" />
            <source>Book a one-hour slot for the live consult (Ctrl+B)</source>
            <translation>为实时会诊预约一小时时段（Ctrl+B）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="767" />
            <source>Write opinion…</source>
            <translation>填写意见…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="768" />
            <source>Write the specialist's opinion (Ctrl+Shift+O)</source>
            <translation>填写专科会诊意见（Ctrl+Shift+O）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="772" />
            <source>E-prescription…</source>
            <translation>电子处方…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="773" />
            <source>Prescribe for the patient (Ctrl+Shift+P)</source>
            <translation>为患者开处方（Ctrl+Shift+P）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="777" />
            <source>Refer…</source>
            <translation>转诊…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="778" />
            <source>Refer the patient to a hospital department (Ctrl+Shift+R)</source>
            <translation>将患者转诊至医院科室（Ctrl+Shift+R）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="780" />
            <source>Open chart</source>
            <translation>打开病历</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="780" />
            <source>Open the patient's chart</source>
            <translation>打开患者病历</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="783" />
            <source>Print…</source>
            <translation>打印…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="784" />
            <source>Print the opinion, prescription or referral of this consult</source>
            <translation>打印本次会诊的意见、处方或转诊单</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="788" />
            <source>Video call</source>
            <translation>视频通话</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="789" />
            <source>Start or join the live call of this consult (Ctrl+J)</source>
            <translation>发起或加入本会诊的实时通话（Ctrl+J）</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="804" />
            <source>New</source>
            <translation>新申请</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="805" />
            <source>Accepted</source>
            <translation>已接受</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="806" />
            <source>Scheduled</source>
            <translation>已安排</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="807" />
            <source>Declined</source>
            <translation>已拒绝</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="808" />
            <source>Answered</source>
            <translation>已答复</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="809" />
            <source>Withdrawn</source>
            <translation>已撤回</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="814" />
            <source>STAT</source>
            <translation>立即</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="815" />
            <source>ASAP</source>
            <translation>尽快</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="816" />
            <source>Urgent</source>
            <translation>紧急</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="817" />
            <source>Routine</source>
            <translation>常规</translation>
        </message>
        <message numerus="yes">
            <location filename="../desk_screen.py" line="863" />
            <source>%n request(s)</source>
            <translation>
                <numerusform>%n 个申请</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="951" />
            <source>Accept the consult for %1</source>
            <translation>接受 %1 的会诊</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="953" />
            <source>Decline the consult for %1</source>
            <translation>拒绝 %1 的会诊</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="955" />
            <source>Accept</source>
            <translation>接受</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="955" />
            <source>Decline</source>
            <translation>拒绝</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="959" />
            <source>Optional: a note for the clinic</source>
            <translation>可选：给诊所的备注</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="961" />
            <source>Why? The clinic reads this in the chart.</source>
            <translation>原因？诊所会在病历中看到。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="964" />
            <location filename="../desk_screen.py" line="1070" />
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="991" />
            <source>Video consult</source>
            <translation>视频会诊</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="999" />
            <source>Opinion for %1</source>
            <translation>%1 的会诊意见</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="999" />
            <source>Send opinion</source>
            <translation>发送意见</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1002" />
            <source>Assessment and advice for the clinic</source>
            <translation>给诊所的评估与建议</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1004" />
            <source>Opinion</source>
            <translation>意见</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1025" />
            <source>E-prescription for %1</source>
            <translation>%1 的电子处方</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1025" />
            <source>Prescribe</source>
            <translation>开处方</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1028" />
            <source>e.g. 氨氯地平片 5mg</source>
            <translation>如：氨氯地平片 5mg</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1030" />
            <source>e.g. once a day, one tablet</source>
            <translation>如：每日一次，每次一片</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1033" />
            <source>not set</source>
            <translation>未设置</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1034" />
            <source> days</source>
            <translation> 天</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1036" />
            <source>Medication</source>
            <translation>药品</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1037" />
            <source>Dosage</source>
            <translation>用法用量</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1038" />
            <source>Duration</source>
            <translation>疗程</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1055" />
            <source>Referral for %1</source>
            <translation>%1 的转诊</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1055" />
            <source>Refer</source>
            <translation>转诊</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1066" />
            <source>Why the patient should be seen at the hospital</source>
            <translation>患者需到医院就诊的原因</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="1068" />
            <source>Department</source>
            <translation>科室</translation>
        </message>
    </context>
    <context>
        <name>DevicesBox</name>
        <message>
            <location filename="../devices_box.py" line="190" />
            <source>Camera and microphone</source>
            <translation>摄像头和麦克风</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="191" />
            <source>Camera</source>
            <translation>摄像头</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="192" />
            <source>Microphone</source>
            <translation>麦克风</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="193" />
            <source>Loudspeaker</source>
            <translation>扬声器</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="197" />
            <source>Preview</source>
            <translation>预览</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="198" />
            <source>Show the chosen camera and microphone level</source>
            <translation>显示所选摄像头的画面和麦克风音量</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="199" />
            <source>Microphone level</source>
            <translation>麦克风音量</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="204" />
            <location filename="../devices_box.py" line="326" />
            <source>Preview is off.</source>
            <translation>预览已关闭。</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="210" />
            <source>Synthetic test picture</source>
            <translation>合成测试画面</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="211" />
            <source>Test tone</source>
            <translation>测试音</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="212" />
            <source>System default</source>
            <translation>系统默认</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="219" />
            <source>No loudspeaker or headset found</source>
            <translation>未找到扬声器或耳机</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="224" />
            <source>%1 (not connected)</source>
            <translation>%1（未连接）</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="310" />
            <source>Starting the preview…</source>
            <translation>正在启动预览…</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="347" />
            <source>The camera or microphone could not be started.</source>
            <translation>无法启动摄像头或麦克风。</translation>
        </message>
        <message>
            <location filename="../devices_box.py" line="361" />
            <source>The camera or microphone stopped sending.</source>
            <translation>摄像头或麦克风已停止传送。</translation>
        </message>
    </context>
    <context>
        <name>DocumentDialog</name>
        <message>
            <location filename="../desk_screen.py" line="189" />
            <source>Document</source>
            <translation>文档</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="192" />
            <source>Opening…</source>
            <translation>正在打开…</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="199" />
            <source>Open in the system viewer</source>
            <translation>在系统查看器中打开</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="201" />
            <source>A decrypted copy is written to a temporary folder for the viewer.</source>
            <translation>将在临时文件夹中写入一份解密副本供查看器使用。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="206" />
            <source>Fit to the window</source>
            <translation>适应窗口</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="225" />
            <source>This kind of file cannot be shown here.</source>
            <translation>此类文件无法在此显示。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="233" />
            <source>The file could not be opened.</source>
            <translation>无法打开文件。</translation>
        </message>
        <message>
            <location filename="../desk_screen.py" line="245" />
            <source>The image could not be read.</source>
            <translation>无法读取图片。</translation>
        </message>
    </context>
    <context>
        <name>FilesPanel</name>
        <message>
            <location filename="../call_panels.py" line="95" />
            <source>From the chart</source>
            <translation>来自病历</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="101" />
            <source>Share selected</source>
            <translation>分享所选</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="103" />
            <source>Share a file…</source>
            <translation>分享文件…</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="108" />
            <source>Transfers</source>
            <translation>传输</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="117" />
            <source>Received</source>
            <translation>收到时间</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="120" />
            <source>View</source>
            <translation>查看</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="122" />
            <source>Keep in the chart</source>
            <translation>存入病历</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="160" />
            <source>%p% of %1 MB</source>
            <translation>%p%，共 %1 MB</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="172" />
            <source>Arrived intact (SHA-256 checked)</source>
            <translation>已完整送达（SHA-256 已校验）</translation>
        </message>
    </context>
    <context>
        <name>FindingText</name>
        <message>
            <location filename="../prescribe_dialog.py" line="50" />
            <source>Contraindicated</source>
            <translation>禁忌</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="51" />
            <source>Major</source>
            <translation>严重</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="52" />
            <source>Moderate</source>
            <translation>中度</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="53" />
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="62" />
            <source>replaces %1 (it will be stopped)</source>
            <translation>替换 %1（原处方将停用）</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="64" />
            <source>duplicate therapy: %1 is also one of the %2</source>
            <translation>重复用药：%1 同属%2</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="67" />
            <source>duplicate therapy: the same medicine as %1</source>
            <translation>重复用药：与 %1 为同一药物</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="70" />
            <source>allergy to %1 recorded: possible cross-reaction (%2)</source>
            <translation>已记录对 %1 过敏：可能交叉过敏（%2）</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="72" />
            <source>allergy to %1 recorded (%2)</source>
            <translation>已记录对 %1 过敏（%2）</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="74" />
            <source>interacts with %1: %2</source>
            <translation>与 %1 相互作用：%2</translation>
        </message>
    </context>
    <context>
        <name>FirstSyncDialog</name>
        <message>
            <location filename="../first_sync_dialog.py" line="38" />
            <source>First sync with the central platform</source>
            <translation>首次与中心平台同步</translation>
        </message>
        <message>
            <location filename="../first_sync_dialog.py" line="42" />
            <source>This workstation is exchanging the clinic's records with the central platform for the first time. You can keep working: the patient list fills as the records arrive.</source>
            <translation>本工作站正在首次与中心平台交换本诊所的记录。您可以继续工作：患者列表会随着记录到达而逐步显示。</translation>
        </message>
        <message>
            <location filename="../first_sync_dialog.py" line="54" />
            <source>Continue in the background</source>
            <translation>转入后台继续</translation>
        </message>
    </context>
    <context>
        <name>GroupBox</name>
        <message>
            <location filename="../query_screen.py" line="300" />
            <source>Patients matching</source>
            <translation>符合以下</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="301" />
            <source>all of (and)</source>
            <translation>全部条件（且）</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="302" />
            <source>any of (or)</source>
            <translation>任一条件（或）</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="303" />
            <source>+ Condition</source>
            <translation>+ 条件</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="304" />
            <source>+ Group</source>
            <translation>+ 条件组</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="305" />
            <source>Remove this group</source>
            <translation>删除此条件组</translation>
        </message>
    </context>
    <context>
        <name>Icd10Search</name>
        <message>
            <location filename="../chart_problems.py" line="52" />
            <source>ICD-10: code, name or pinyin initials (e.g. gxy)</source>
            <translation>ICD-10：编码、名称或拼音首字母（如 gxy）</translation>
        </message>
    </context>
    <context>
        <name>ImageViewer</name>
        <message>
            <location filename="../attachment_viewer.py" line="128" />
            <source>Zoom in</source>
            <translation>放大</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="128" />
            <source>Zoom in (+)</source>
            <translation>放大（+）</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="129" />
            <source>Zoom out</source>
            <translation>缩小</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="129" />
            <source>Zoom out (-)</source>
            <translation>缩小（-）</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="130" />
            <source>Fit</source>
            <translation>适应</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="130" />
            <source>Fit to window (0)</source>
            <translation>适应窗口（0）</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="131" />
            <source>Actual size</source>
            <translation>实际大小</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="131" />
            <source>Actual size (1)</source>
            <translation>实际大小（1）</translation>
        </message>
        <message>
            <location filename="../attachment_viewer.py" line="140" />
            <source>%1 × %2 pixels — wheel to zoom, drag to move</source>
            <translation>%1 × %2 像素 — 滚轮缩放，拖动移动</translation>
        </message>
    </context>
    <context>
        <name>IncomingCallNotice</name>
        <message>
            <location filename="../incoming_call.py" line="93" />
            <location filename="../incoming_call.py" line="94" />
            <source>Incoming video call</source>
            <translation>视频通话来电</translation>
        </message>
        <message>
            <location filename="../incoming_call.py" line="96" />
            <source>The specialist has opened the video consult for %1 and is waiting.</source>
            <translation>专家已开启%1的视频会诊，正在等待。</translation>
        </message>
        <message>
            <location filename="../incoming_call.py" line="97" />
            <source>a patient</source>
            <translation>一位患者</translation>
        </message>
        <message>
            <location filename="../incoming_call.py" line="100" />
            <source>Join</source>
            <translation>加入</translation>
        </message>
        <message>
            <location filename="../incoming_call.py" line="101" />
            <source>Later</source>
            <translation>稍后</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <location filename="../main_window.py" line="236" />
            <source>Clinic workstation %1</source>
            <translation>诊所工作站 %1</translation>
        </message>
    </context>
    <context>
        <name>PatientForm</name>
        <message>
            <location filename="../patient_form.py" line="72" />
            <source>Edit patient</source>
            <translation>编辑患者</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="72" />
            <source>New patient</source>
            <translation>新建患者</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="84" />
            <source>from the characters if left empty</source>
            <translation>留空则由汉字生成</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="86" />
            <source>Unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="86" />
            <source>Female</source>
            <translation>女</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="87" />
            <source>Male</source>
            <translation>男</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="87" />
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="94" />
            <source>not known</source>
            <translation>不详</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="97" />
            <source>18 characters; birth date and sex follow</source>
            <translation>18 位；出生日期和性别自动填写</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="103" />
            <source>Family name</source>
            <translation>姓</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="104" />
            <source>Given name</source>
            <translation>名</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="105" />
            <source>Latin family name</source>
            <translation>姓（拼音）</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="106" />
            <source>Latin given name</source>
            <translation>名（拼音）</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="107" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="108" />
            <source>Birth date</source>
            <translation>出生日期</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="109" />
            <source>Resident ID</source>
            <translation>居民身份证号</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="110" />
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="111" />
            <source>Province</source>
            <translation>省</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="112" />
            <source>City</source>
            <translation>市</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="113" />
            <source>County / district</source>
            <translation>县/区</translation>
        </message>
        <message>
            <location filename="../patient_form.py" line="114" />
            <source>Village / street</source>
            <translation>村/街道</translation>
        </message>
    </context>
    <context>
        <name>PatientModel</name>
        <message>
            <location filename="../patient_model.py" line="54" />
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <location filename="../patient_model.py" line="54" />
            <source>Pinyin / Latin</source>
            <translation>拼音</translation>
        </message>
        <message>
            <location filename="../patient_model.py" line="54" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../patient_model.py" line="54" />
            <source>Age</source>
            <translation>年龄</translation>
        </message>
        <message>
            <location filename="../patient_model.py" line="55" />
            <source>ID number</source>
            <translation>身份证号</translation>
        </message>
        <message>
            <location filename="../patient_model.py" line="55" />
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <location filename="../patient_model.py" line="82" />
            <source>Click to show in full (the access is recorded)</source>
            <translation>点击显示完整内容（此次查看将被记录）</translation>
        </message>
    </context>
    <context>
        <name>PatientPicker</name>
        <message>
            <location filename="../schedule_screen.py" line="103" />
            <source>Name, pinyin, ID number or phone</source>
            <translation>姓名、拼音、身份证号或电话</translation>
        </message>
        <message numerus="yes">
            <location filename="../schedule_screen.py" line="136" />
            <source>%n year(s)</source>
            <translation>
                <numerusform>%n 岁</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>PatientsScreen</name>
        <message>
            <location filename="../patients_screen.py" line="42" />
            <source>Search by name, pinyin (e.g. wxm), ID number or phone</source>
            <translation>按姓名、拼音（如 wxm）、身份证号或电话搜索</translation>
        </message>
        <message>
            <location filename="../patients_screen.py" line="44" />
            <source>Clear the search</source>
            <translation>清除搜索</translation>
        </message>
        <message>
            <location filename="../patients_screen.py" line="47" />
            <source>New patient</source>
            <translation>新建患者</translation>
        </message>
        <message>
            <location filename="../patients_screen.py" line="48" />
            <source>Register a new patient (Ctrl+N)</source>
            <translation>登记新患者（Ctrl+N）</translation>
        </message>
        <message numerus="yes">
            <location filename="../patients_screen.py" line="99" />
            <source>%n patient(s)</source>
            <translation>
                <numerusform>%n 位患者</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../patients_screen.py" line="107" />
            <source>%n match(es)</source>
            <translation>
                <numerusform>%n 条匹配</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>PreCallCheck</name>
        <message>
            <location filename="../precall_check.py" line="87" />
            <source>Before the call — %1</source>
            <translation>通话前检查 — %1</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="90" />
            <source>Check that the other side will see and hear you: your picture should move below and the bar should move when you speak. Then test the loudspeaker.</source>
            <translation>请确认对方能看到并听到您：下方画面应在动，说话时音量条应跳动。然后测试扬声器。</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="94" />
            <source>Test the loudspeaker</source>
            <translation>测试扬声器</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="95" />
            <source>I use a headset (turns echo cancellation off)</source>
            <translation>我使用耳机（关闭回声消除）</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="98" />
            <source>With loudspeakers the microphone's sound is cleaned of the other side's voice. A headset has no echo, so the sound goes out as it is.</source>
            <translation>使用扬声器时，麦克风的声音会去除对方的声音（回声）。耳机没有回声，声音将原样发送。</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="102" />
            <source>Join the call</source>
            <translation>加入通话</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="129" />
            <source>Playing a two-note chime…</source>
            <translation>正在播放两声提示音…</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="138" />
            <source>The loudspeaker could not be started.</source>
            <translation>无法启动扬声器。</translation>
        </message>
        <message>
            <location filename="../precall_check.py" line="145" />
            <source>Did you hear two notes? If not, choose another loudspeaker above or turn the volume up, and test again.</source>
            <translation>听到两声提示音了吗？如果没有，请在上方选择其他扬声器或调高音量，然后再次测试。</translation>
        </message>
    </context>
    <context>
        <name>PrescribeDialog</name>
        <message>
            <location filename="../prescribe_dialog.py" line="93" />
            <source>Prescribe for %1</source>
            <translation>为 %1 开处方</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="102" />
            <source>Type to search the formulary</source>
            <translation>输入以搜索药品目录</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="114" />
            <source>e.g. once a day, one tablet</source>
            <translation>如：每日一次，每次一片</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="117" />
            <source>not set</source>
            <translation>未设置</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="118" />
            <source> days</source>
            <translation> 天</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="123" />
            <source>Medication</source>
            <translation>药品</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="124" />
            <source>Dosage</source>
            <translation>用法用量</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="125" />
            <source>Duration</source>
            <translation>疗程</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="126" />
            <source>Replaces</source>
            <translation>替换</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="128" />
            <source>Checks</source>
            <translation>用药检查</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="136" />
            <source>Reason to prescribe despite the warnings</source>
            <translation>存在警示仍开具的理由</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="139" />
            <source>Override reason</source>
            <translation>忽略警示理由</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="148" />
            <source>Sign prescription</source>
            <translation>签署处方</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="149" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="178" />
            <source>No current medicines</source>
            <translation>无当前用药</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="240" />
            <source>No warnings for this medicine</source>
            <translation>此药无警示</translation>
        </message>
        <message>
            <location filename="../prescribe_dialog.py" line="249" />
            <source>Warnings above: give a reason to sign, or change the prescription.</source>
            <translation>存在上述警示：请填写理由后签署，或修改处方。</translation>
        </message>
    </context>
    <context>
        <name>PrintLetterDialog</name>
        <message>
            <location filename="../print_letters.py" line="98" />
            <source>Print a letter</source>
            <translation>打印文书</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="109" />
            <source>Letter</source>
            <translation>文书</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="110" />
            <source>Paper</source>
            <translation>纸张</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="111" />
            <source>Language of the letter</source>
            <translation>文书语言</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="113" />
            <source>Loading…</source>
            <translation>正在加载…</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="122" />
            <source>Print…</source>
            <translation>打印…</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="123" />
            <source>Save as PDF…</source>
            <translation>另存为 PDF…</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="124" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="139" />
            <source>Prescription</source>
            <translation>处方</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="140" />
            <source>Referral letter</source>
            <translation>转诊单</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="141" />
            <source>Consult opinion</source>
            <translation>会诊意见</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="142" />
            <source>Visit summary</source>
            <translation>就诊摘要</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="163" />
            <source>Nothing of this patient can be printed yet.</source>
            <translation>该患者暂无可打印的文书。</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="199" />
            <source>Preparing the letter…</source>
            <translation>正在生成文书…</translation>
        </message>
        <message numerus="yes">
            <location filename="../print_letters.py" line="213" />
            <source>%n page(s)</source>
            <translation>
                <numerusform>共 %n 页</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="263" />
            <source>The printer could not be opened.</source>
            <translation>无法打开打印机。</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="273" />
            <source>Sent to the printer; kept in the chart.</source>
            <translation>已发送到打印机，并已存入病历。</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="281" />
            <source>Save the letter as PDF</source>
            <translation>将文书另存为 PDF</translation>
        </message>
        <message>
            <location filename="../print_letters.py" line="300" />
            <source>Saved; kept in the chart.</source>
            <translation>已保存，并已存入病历。</translation>
        </message>
    </context>
    <context>
        <name>ProblemsPanel</name>
        <message>
            <location filename="../chart_problems.py" line="82" />
            <source>Problem list (ICD-10)</source>
            <translation>问题列表（ICD-10）</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="92" />
            <location filename="../chart_problems.py" line="96" />
            <source>Onset</source>
            <translation>起病时间</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="93" />
            <source>Add problem</source>
            <translation>添加问题</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="100" />
            <location filename="../chart_problems.py" line="147" />
            <source>Mark resolved</source>
            <translation>标记为已解决</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="109" />
            <source>Allergies</source>
            <translation>过敏史</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="115" />
            <source>Substance or drug class (e.g. 青霉素类)</source>
            <translation>过敏物质或药物类别（如 青霉素类）</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="117" />
            <source>Reaction</source>
            <translation>反应</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="123" />
            <source>Medication</source>
            <translation>药品</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="123" />
            <source>Food</source>
            <translation>食物</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="124" />
            <source>Environment</source>
            <translation>环境</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="125" />
            <source>Biologic</source>
            <translation>生物制品</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="128" />
            <source>Severity not known</source>
            <translation>严重程度未知</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="129" />
            <source>Mild</source>
            <translation>轻度</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="129" />
            <source>Moderate</source>
            <translation>中度</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="130" />
            <source>Severe</source>
            <translation>重度</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="133" />
            <source>Risk not assessed</source>
            <translation>风险未评估</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="134" />
            <source>Low risk</source>
            <translation>低风险</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="134" />
            <source>High risk</source>
            <translation>高风险</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="137" />
            <source>Record allergy</source>
            <translation>记录过敏</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="144" />
            <source>No known allergies</source>
            <translation>无已知过敏</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="145" />
            <source>Record that the patient was asked and has none</source>
            <translation>记录已询问患者且无过敏史</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="174" />
            <source>since %1</source>
            <translation>自 %1 起</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="178" />
            <source>resolved %1</source>
            <translation>已于 %1 解决</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="185" />
            <source>No known allergies (stated %1)</source>
            <translation>无已知过敏（%1 记录）</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="190" />
            <source>Not asked yet</source>
            <translation>尚未询问</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="194" />
            <source>mild</source>
            <translation>轻度</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="194" />
            <source>moderate</source>
            <translation>中度</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="195" />
            <source>severe</source>
            <translation>重度</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="199" />
            <source>high risk</source>
            <translation>高风险</translation>
        </message>
        <message>
            <location filename="../chart_problems.py" line="243" />
            <source>Choose a diagnosis from the ICD-10 list.</source>
            <translation>请从 ICD-10 列表中选择诊断。</translation>
        </message>
    </context>
    <context>
        <name>QueryScreen</name>
        <message>
            <location filename="../query_screen.py" line="403" />
            <source>Saved queries</source>
            <translation>已保存的查询</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="404" />
            <source>Run</source>
            <translation>运行</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="405" />
            <source>Delete</source>
            <translation>删除</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="406" />
            <source>Name to save the query under</source>
            <translation>保存查询的名称</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="407" />
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="408" />
            <source>Run query</source>
            <translation>运行查询</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="409" />
            <source>Export…</source>
            <translation>导出…</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="410" />
            <source>Save the patients found as Excel, CSV or TXT</source>
            <translation>将查询到的患者保存为 Excel、CSV 或 TXT</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="413" />
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="413" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="413" />
            <source>Age</source>
            <translation>年龄</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="413" />
            <source>Diagnoses</source>
            <translation>诊断</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="414" />
            <source>Last BP</source>
            <translation>最近血压</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="414" />
            <source>Last follow-up</source>
            <translation>最近随访</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="414" />
            <source>Days since</source>
            <translation>距今天数</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="481" />
            <source>Searching…</source>
            <translation>正在查询…</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="490" />
            <source>Build a query and run it.</source>
            <translation>设置查询条件后运行。</translation>
        </message>
        <message numerus="yes">
            <location filename="../query_screen.py" line="493" />
            <source>%n patient(s) found</source>
            <translation>
                <numerusform>找到 %n 名患者</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="513" />
            <source>Export patients found</source>
            <translation>导出查询结果</translation>
        </message>
        <message>
            <location filename="../query_screen.py" line="514" />
            <source>Excel (*.xlsx);;CSV (*.csv);;Text, tab-separated (*.txt)</source>
            <translation>Excel (*.xlsx);;CSV (*.csv);;文本，制表符分隔 (*.txt)</translation>
        </message>
    </context>
    <context>
        <name>RebuildBox</name>
        <message>
            <location filename="../rebuild_box.py" line="88" />
            <location filename="../rebuild_box.py" line="194" />
            <source>Rebuild from the central platform</source>
            <translation>从中心平台重建</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="91" />
            <source>Replaces the records on this workstation with what the central platform holds for the clinic, when they are damaged and no good backup is at hand. Changes never sent are put back where they can still be read. The records as they are now are moved aside, never deleted.</source>
            <translation>当本工作站的记录损坏且手头没有有效备份时，用中心平台保存的本诊所记录替换它们。从未发送的更改只要仍能读取，就会放回待发送队列。当前的记录会被原样移到一旁，绝不会删除。</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="97" />
            <source>Opened with</source>
            <translation>打开方式</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="98" />
            <source>My passphrase</source>
            <translation>我的密码</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="99" />
            <source>The recovery key</source>
            <translation>恢复密钥</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="100" />
            <source>Passphrase or recovery key</source>
            <translation>密码或恢复密钥</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="101" />
            <source>One-time code (optional)</source>
            <translation>一次性验证码（可选）</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="103" />
            <source>only if the administrator gave a new one; else the saved account</source>
            <translation>仅当管理员给了新的验证码时填写；否则使用已保存的账户</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="105" />
            <source>Check and rebuild…</source>
            <translation>检查并重建…</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="126" />
            <source>Give the passphrase or the recovery key.</source>
            <translation>请输入密码或恢复密钥。</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="130" />
            <source>Checking…</source>
            <translation>正在检查…</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="153" />
            <source>This workstation is not connected to a central platform: enroll it first (Central platform, below) or ask the administrator for a one-time code.</source>
            <translation>本工作站尚未连接中心平台：请先注册（见下方“中心平台”），或向管理员索取一次性验证码。</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="159" />
            <source>Nothing was changed.</source>
            <translation>没有做任何更改。</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="175" />
            <source>Replace the records with the central platform's?</source>
            <translation>用中心平台的记录替换本机记录？</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="178" />
            <source>The records in %1 (%2 records now, %3 changes never sent) will be replaced with what the central platform %4 holds for the clinic.</source>
            <translation>%1 中的记录（当前 %2 条，%3 项更改从未发送）将被中心平台 %4 保存的本诊所记录替换。</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="184" />
            <source>(reached with the one-time code)</source>
            <translation>（通过一次性验证码连接）</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="188" />
            <source>Changes never sent are put back if they can still be read; the rebuild lists those that cannot. The records as they are now are moved, unchanged, to a folder beside them. The records close now; sign in again afterwards.</source>
            <translation>从未发送的更改如仍能读取会被放回；无法读取的会在重建后列出。当前的记录会被原样移到旁边的一个文件夹中。记录现在将关闭；重建后请重新登录。</translation>
        </message>
        <message>
            <location filename="../rebuild_box.py" line="196" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>RegistersScreen</name>
        <message>
            <location filename="../registers_screen.py" line="96" />
            <source>Register</source>
            <translation>登记册</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="97" />
            <source>Show</source>
            <translation>显示</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="98" />
            <source>Export…</source>
            <translation>导出…</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="99" />
            <source>Save the registers and monthly rates as Excel, CSV or TXT</source>
            <translation>将慢病登记和月度指标保存为 Excel、CSV 或 TXT</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="102" />
            <source>Hypertension (I10–I15)</source>
            <translation>高血压（I10–I15）</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="103" />
            <source>Type 2 diabetes (E11)</source>
            <translation>2型糖尿病（E11）</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="104" />
            <source>Everyone</source>
            <translation>全部</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="104" />
            <source>Overdue for follow-up</source>
            <translation>随访逾期</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="105" />
            <source>Follow-up due soon</source>
            <translation>即将到期随访</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="105" />
            <location filename="../registers_screen.py" line="136" />
            <source>Not controlled</source>
            <translation>未控制</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="114" />
            <source>Follow-up at least every 90 days (national basic public-health service specification): overdue after 90 days without a visit or a completed follow-up, due from day 76. Controlled: last BP below 140/90 mmHg; diabetes: last HbA1c below 7.0 % when taken in the last six months, else last fasting glucose at most 7.0 mmol/L (national primary-care guidelines for hypertension 2020 and diabetes 2022).</source>
            <translation>每 90 天至少随访一次（国家基本公共卫生服务规范）：90 天内无就诊或已完成随访即为逾期，第 76 天起为即将到期。控制：最近一次血压低于 140/90 mmHg；糖尿病：近六个月内有糖化血红蛋白时以最近一次低于 7.0 % 为控制，否则以最近一次空腹血糖不高于 7.0 mmol/L 为控制（国家基层高血压防治管理指南 2020、国家基层糖尿病防治管理指南 2022）。</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="121" />
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="121" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="121" />
            <source>Age</source>
            <translation>年龄</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="121" />
            <source>ICD-10</source>
            <translation>ICD-10</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="122" />
            <source>Last follow-up</source>
            <translation>最近随访</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="122" />
            <source>Follow-up</source>
            <translation>随访</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="122" />
            <source>Control</source>
            <translation>控制情况</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="123" />
            <source>Last reading</source>
            <translation>最近测量值</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="132" />
            <source>Overdue</source>
            <translation>逾期</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="132" />
            <source>Due</source>
            <translation>即将到期</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="133" />
            <source>On time</source>
            <translation>按时</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="136" />
            <location filename="../registers_screen.py" line="207" />
            <source>Controlled</source>
            <translation>已控制</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="137" />
            <source>No reading</source>
            <translation>无记录</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="147" />
            <source>HbA1c %1 % (%2)</source>
            <translation>糖化血红蛋白 %1 %（%2）</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="156" />
            <source>never</source>
            <translation>从未</translation>
        </message>
        <message numerus="yes">
            <location filename="../registers_screen.py" line="157" />
            <source>%1 (%n day(s) ago)</source>
            <translation>
                <numerusform>%1（%n 天前）</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="173" />
            <source>Loading the registers…</source>
            <translation>正在载入慢病登记…</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="181" />
            <source>%1 patients · %2 overdue · %3 due · %4 not controlled · this month: follow-up %5, control %6</source>
            <translation>共 %1 人 · 逾期 %2 人 · 即将到期 %3 人 · 未控制 %4 人 · 本月：随访率 %5，控制率 %6</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="206" />
            <source>Patients</source>
            <translation>管理人数</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="206" />
            <source>Followed up</source>
            <translation>已随访</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="206" />
            <source>Follow-up rate</source>
            <translation>随访率</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="207" />
            <source>Control rate</source>
            <translation>控制率</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="224" />
            <source>Export registers</source>
            <translation>导出慢病登记</translation>
        </message>
        <message>
            <location filename="../registers_screen.py" line="225" />
            <source>Excel (*.xlsx);;CSV (*.csv);;Text, tab-separated (*.txt)</source>
            <translation>Excel (*.xlsx);;CSV (*.csv);;文本，制表符分隔 (*.txt)</translation>
        </message>
        <message numerus="yes">
            <location filename="../registers_screen.py" line="238" />
            <source>%n row(s) written to %1</source>
            <translation>
                <numerusform>已写入 %n 行到 %1</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>RequestPage</name>
        <message>
            <location filename="../consult_wizard.py" line="75" />
            <source>Question for the specialist</source>
            <translation>向专科医生提问</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="77" />
            <source>Consult request for %1. Write what you want to know.</source>
            <translation>%1 的会诊申请。请写下您想咨询的问题。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="91" />
            <source>e.g. Blood pressure stays around 160/100 on three drugs; please advise.</source>
            <translation>如：联用三种降压药后血压仍在 160/100 左右，请指导。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="95" />
            <source>Specialty</source>
            <translation>专科</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="96" />
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="97" />
            <source>Question</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="108" />
            <source>Write the question for the specialist.</source>
            <translation>请填写向专科医生提出的问题。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="112" />
            <source>The question is too long (%1 characters at most).</source>
            <translation>问题过长（最多 %1 个字符）。</translation>
        </message>
    </context>
    <context>
        <name>RestoreBox</name>
        <message>
            <location filename="../restore_box.py" line="108" />
            <source>Restore from a backup</source>
            <translation>从备份恢复</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="111" />
            <source>Replaces the records on this workstation with a backup, for instance after a disk failure. The records as they are now are moved aside, never deleted.</source>
            <translation>用一份备份替换本工作站上的记录（例如在磁盘故障之后）。当前的记录会被原样移到一旁，绝不会删除。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="115" />
            <location filename="../restore_box.py" line="133" />
            <source>Backup file</source>
            <translation>备份文件</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="116" />
            <source>no backup chosen</source>
            <translation>未选择备份</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="117" />
            <source>Choose file…</source>
            <translation>选择文件…</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="118" />
            <source>Newest good backup</source>
            <translation>最新的有效备份</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="119" />
            <source>Opened with</source>
            <translation>打开方式</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="120" />
            <source>My passphrase (when the backup was made)</source>
            <translation>我的密码（备份时使用的）</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="121" />
            <source>The recovery key</source>
            <translation>恢复密钥</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="122" />
            <source>Passphrase or recovery key</source>
            <translation>密码或恢复密钥</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="123" />
            <source>Check and restore…</source>
            <translation>检查并恢复…</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="135" />
            <source>Clinic backups (*.clinicbackup);;All files (*)</source>
            <translation>诊所备份 (*.clinicbackup);;所有文件 (*)</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="158" />
            <source>No verified backup is in the backup folder: choose a file.</source>
            <translation>备份文件夹中没有经过验证的备份：请选择一个文件。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="179" />
            <source>Choose a backup file first.</source>
            <translation>请先选择一个备份文件。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="182" />
            <source>Give the passphrase or the recovery key.</source>
            <translation>请输入密码或恢复密钥。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="187" />
            <source>Checking the backup…</source>
            <translation>正在检查备份…</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="211" />
            <source>Nothing was changed.</source>
            <translation>没有做任何更改。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="225" />
            <source>Replace the records with the backup?</source>
            <translation>用备份替换记录？</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="228" />
            <source>The records in %1 (%2 records now) will be replaced with the backup %3, taken %4 (%5 records).</source>
            <translation>%1 中的记录（当前 %2 条）将被备份 %3 替换，该备份创建于 %4（%5 条记录）。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="239" />
            <source>Whatever was entered after the backup was taken is not in it. The records as they are now are moved, unchanged, to a folder beside them. The records close now; sign in again afterwards.</source>
            <translation>备份之后录入的内容不在备份中。当前的记录会被原样移到旁边的一个文件夹中。记录现在将关闭；恢复后请重新登录。</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="245" />
            <source>Replace with the backup</source>
            <translation>用备份替换</translation>
        </message>
        <message>
            <location filename="../restore_box.py" line="247" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>ReviewPage</name>
        <message>
            <location filename="../consult_wizard.py" line="324" />
            <source>Send or keep as a draft</source>
            <translation>发送或存为草稿</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="327" />
            <source>Send: the request goes to the specialists as soon as this workstation is online (until then it is queued offline). Draft: it stays here until you send it from the chart.</source>
            <translation>发送：本工作站联网后申请即发给专科医生（之前在离线队列中等待）。草稿：保存在本地，直到您从病历中发送。</translation>
        </message>
    </context>
    <context>
        <name>ScheduleScreen</name>
        <message>
            <location filename="../schedule_screen.py" line="367" />
            <source>Day</source>
            <translation>日</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="368" />
            <source>Week</source>
            <translation>周</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="369" />
            <source>Today</source>
            <translation>今天</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="370" />
            <source>Go to today (Ctrl+T)</source>
            <translation>转到今天（Ctrl+T）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="371" />
            <source>Previous (Alt+Left)</source>
            <translation>上一页（Alt+左）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="372" />
            <source>Next (Alt+Right)</source>
            <translation>下一页（Alt+右）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="374" />
            <source>Previous day or week</source>
            <translation>前一天或前一周</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="375" />
            <source>Next day or week</source>
            <translation>后一天或后一周</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="376" />
            <source>Appointments by hour</source>
            <translation>按小时显示的预约</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="377" />
            <source>Book a slot…</source>
            <translation>预约时段…</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="378" />
            <source>Book the selected slot for a patient (Ctrl+B)</source>
            <translation>为患者预约所选时段（Ctrl+B）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="379" />
            <source>Join video call</source>
            <translation>加入视频通话</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="381" />
            <source>Join the live call of the selected consult appointment (Ctrl+J)</source>
            <translation>加入所选会诊预约的实时通话（Ctrl+J）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="383" />
            <source>Follow-ups due</source>
            <translation>待随访</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="385" />
            <source>Due</source>
            <translation>到期日</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="385" />
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="385" />
            <source>Follow-up</source>
            <translation>随访</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="385" />
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="387" />
            <source>Mark done</source>
            <translation>标记完成</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="388" />
            <source>Mark the selected follow-up as done (Ctrl+D)</source>
            <translation>将所选随访标记为完成（Ctrl+D）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="398" />
            <source>Booked</source>
            <translation>已预约</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="399" />
            <source>Proposed</source>
            <translation>已提议</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="400" />
            <source>Pending</source>
            <translation>待定</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="401" />
            <source>Arrived</source>
            <translation>已到达</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="402" />
            <source>Checked in</source>
            <translation>已签到</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="403" />
            <source>Seen</source>
            <translation>已就诊</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="404" />
            <source>Waiting list</source>
            <translation>候补名单</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="451" />
            <source>Week of %1 to %2</source>
            <translation>%1 至 %2</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="500" />
            <source>%1 · %2</source>
            <translation>%1 · %2</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="501" />
            <source>(unknown patient)</source>
            <translation>（未知患者）</translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="507" />
            <source>%1 %2 with %3: %4</source>
            <translation>%1 %2（%3）：%4</translation>
        </message>
        <message numerus="yes">
            <location filename="../schedule_screen.py" line="521" />
            <source>Overdue by %n day(s)</source>
            <translation>
                <numerusform>已逾期 %n 天</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../schedule_screen.py" line="524" />
            <source>Due today</source>
            <translation>今天到期</translation>
        </message>
        <message numerus="yes">
            <location filename="../schedule_screen.py" line="526" />
            <source>Due in %n day(s)</source>
            <translation>
                <numerusform>%n 天后到期</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>SettingsScreen</name>
        <message>
            <location filename="../settings_screen.py" line="259" />
            <source>The translation for the chosen language is not installed in this version, so the interface is in English.</source>
            <translation>此版本未安装所选语言的翻译，因此界面为英文。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="266" />
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="267" />
            <source>Interface language</source>
            <translation>界面语言</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="269" />
            <source>Text size</source>
            <translation>文字大小</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="271" />
            <source>Standard</source>
            <translation>标准</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="271" />
            <source>Large</source>
            <translation>大</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="271" />
            <source>Larger</source>
            <translation>较大</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="271" />
            <source>Largest</source>
            <translation>最大</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="275" />
            <source>Security</source>
            <translation>安全</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="277" />
            <source>Signed in on this workstation as %1.</source>
            <translation>已在本工作站以 %1 身份登录。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="281" />
            <source>Current passphrase</source>
            <translation>当前口令</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="281" />
            <source>New passphrase</source>
            <translation>新口令</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="281" />
            <location filename="../settings_screen.py" line="295" />
            <source>Repeat it</source>
            <translation>再次输入</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="285" />
            <location filename="../settings_screen.py" line="300" />
            <source>at least 8 characters</source>
            <translation>至少 8 个字符</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="286" />
            <source>Change passphrase</source>
            <translation>更改口令</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="287" />
            <source>Users of this workstation</source>
            <translation>本工作站的用户</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="289" />
            <source>Each user signs in with their own passphrase: %1.</source>
            <translation>每位用户用自己的密码登录：%1。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="295" />
            <source>New user name</source>
            <translation>新用户名</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="295" />
            <source>Their passphrase</source>
            <translation>其密码</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="299" />
            <source>e.g. dr.zhang</source>
            <translation>例如 dr.zhang</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="301" />
            <source>Add user</source>
            <translation>添加用户</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="302" />
            <source>Lock after idle</source>
            <translation>闲置后锁定</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="303" />
            <source> min</source>
            <translation> 分钟</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="305" />
            <source>Central platform</source>
            <translation>中心平台</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="306" />
            <source>Server address</source>
            <translation>服务器地址</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="307" />
            <location filename="../settings_screen.py" line="487" />
            <source>CA certificate</source>
            <translation>CA 证书</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="308" />
            <source>only for a server with its own certificate</source>
            <translation>仅用于使用自有证书的服务器</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="309" />
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="310" />
            <source>Clinic workstation</source>
            <translation>诊所工作站</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="311" />
            <source>Specialist</source>
            <translation>专科医生</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="312" />
            <source>One-time code</source>
            <translation>一次性验证码</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="313" />
            <source>Name of this PC</source>
            <translation>本机名称</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="314" />
            <source>Connect this workstation</source>
            <translation>连接本工作站</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="315" />
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="316" />
            <source>Password</source>
            <translation>密码</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="317" />
            <source>Sign in to the central platform</source>
            <translation>登录中心平台</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="318" />
            <location filename="../settings_screen.py" line="601" />
            <source>About</source>
            <translation>关于</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="320" />
            <source>Clinic workstation, version %1</source>
            <translation>诊所工作站，版本 %1</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="322" />
            <source>About this program…</source>
            <translation>关于本程序…</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="337" />
            <source>A new language applies at once to every screen, the sign-in included, and to every window opened afterwards.</source>
            <translation>新语言立即应用于所有页面（包括登录页面）以及之后打开的所有窗口。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="367" />
            <source>Saved. Every screen follows at once; a form open over a chart keeps its language until it is closed.</source>
            <translation>已保存。所有页面立即生效；病历上已打开的表单在关闭前保持原语言。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="362" />
            <source>Saved. The translation for this language is not installed in this version, so the interface stays in English.</source>
            <translation>已保存。此版本未安装该语言的翻译，因此界面仍为英文。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="389" />
            <source>Type your current passphrase.</source>
            <translation>请输入当前口令。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="392" />
            <location filename="../settings_screen.py" line="434" />
            <source>A passphrase needs at least 8 characters.</source>
            <translation>口令至少需要 8 个字符。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="395" />
            <source>The two new passphrases differ.</source>
            <translation>两次输入的新口令不一致。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="404" />
            <source>That is not your current passphrase.</source>
            <translation>这不是您的当前口令。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="409" />
            <source>Passphrase changed. Use the new one from now on.</source>
            <translation>口令已更改，今后请使用新口令。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="426" />
            <source>Use 2 to 32 letters, digits, dots, dashes or underscores.</source>
            <translation>请使用 2 到 32 个字母、数字、点、短横线或下划线。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="430" />
            <source>That user already exists here.</source>
            <translation>本工作站已有该用户。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="438" />
            <source>The two passphrases differ.</source>
            <translation>两次输入的密码不一致。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="449" />
            <source>%1 can now sign in on this workstation.</source>
            <translation>%1 现在可以登录本工作站。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="468" />
            <source>Not connected: records stay on this workstation until it is.</source>
            <translation>未连接：连接前记录只保存在本工作站。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="471" />
            <source>Connected to %1 as a workstation of clinic %2 (device %3).</source>
            <translation>已作为诊所 %2 的工作站连接到 %1（设备 %3）。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="478" />
            <source>Signed in to %1 as %2 (%3; specialties: %4).</source>
            <translation>已以 %2 身份登录 %1（%3；专科：%4）。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="489" />
            <source>Certificates (*.pem *.crt *.cer)</source>
            <translation>证书 (*.pem *.crt *.cer)</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="489" />
            <source>All files (*)</source>
            <translation>所有文件 (*)</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="499" />
            <source>Type the address the administrator gave you, starting with https://</source>
            <translation>请输入管理员提供的地址，以 https:// 开头</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="515" />
            <source>Type the one-time code.</source>
            <translation>请输入一次性验证码。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="550" />
            <source>Type your user name.</source>
            <translation>请输入用户名。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="553" />
            <source>Type your password.</source>
            <translation>请输入密码。</translation>
        </message>
        <message>
            <location filename="../settings_screen.py" line="588" />
            <source>Clinic workstation %1

Records, visits, consults and follow-ups for community clinics, kept encrypted on this PC and synced with the central platform.

Python %2, Qt for Python %3, %4.</source>
            <translation>诊所工作站 %1

面向社区诊所的病历、就诊、会诊和随访管理，数据加密保存在本机并与中心平台同步。

Python %2，Qt for Python %3，%4。</translation>
        </message>
    </context>
    <context>
        <name>SetupScreen</name>
        <message>
            <location filename="../setup_screen.py" line="83" />
            <source>Set up this workstation</source>
            <translation>设置本工作站</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="89" />
            <source>The clinic's records are kept encrypted on this PC. Choose who signs in first and their passphrase; more users can be added later in the settings.</source>
            <translation>诊所的病历加密保存在这台电脑上。请设置第一位登录的用户及其密码；其他用户以后可在设置中添加。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="96" />
            <source>e.g. Shanhe Township Health Centre</source>
            <translation>例如 山河乡卫生院</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="97" />
            <source>Clinic</source>
            <translation>诊所</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="99" />
            <source>e.g. dr.zhang</source>
            <translation>例如 dr.zhang</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="100" />
            <source>Your user name</source>
            <translation>您的用户名</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="104" />
            <source>at least 8 characters</source>
            <translation>至少 8 个字符</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="105" />
            <source>Passphrase</source>
            <translation>口令</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="106" />
            <source>Repeat it</source>
            <translation>再次输入</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="111" />
            <source>Create the encrypted records</source>
            <translation>创建加密病历库</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="121" />
            <source>Type the clinic's name.</source>
            <translation>请输入诊所名称。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="125" />
            <source>Use 2 to 32 letters, digits, dots, dashes or underscores.</source>
            <translation>请使用 2 到 32 个字母、数字、点、短横线或下划线。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="130" />
            <source>A passphrase needs at least 8 characters.</source>
            <translation>口令至少需要 8 个字符。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="134" />
            <source>The two passphrases differ.</source>
            <translation>两次输入的密码不一致。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="154" />
            <source>Creating the encrypted records…</source>
            <translation>正在创建加密病历库…</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="173" />
            <source>Write down the recovery key</source>
            <translation>请抄下恢复密钥</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="179" />
            <source>If every passphrase is forgotten, this key is the only way to open the records. It is shown only now. Write it on paper and keep it locked away from the PC; do not store it in a file or a photo.</source>
            <translation>如果所有密码都忘记了，只有这个密钥能打开病历。它只显示这一次。请把它抄在纸上，锁好并远离电脑存放；不要存成文件或拍照。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="207" />
            <source>I have written it down: continue</source>
            <translation>我已抄好，继续</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="222" />
            <source>To confirm, type group %1 and group %2 of the key (groups are counted from 1).</source>
            <translation>为确认，请输入密钥的第 %1 组和第 %2 组（从 1 开始数）。</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="227" />
            <location filename="../setup_screen.py" line="228" />
            <source>Group %1</source>
            <translation>第 %1 组</translation>
        </message>
        <message>
            <location filename="../setup_screen.py" line="242" />
            <source>That is not group %1 of the key.</source>
            <translation>这不是密钥的第 %1 组。</translation>
        </message>
    </context>
    <context>
        <name>SlotsPage</name>
        <message>
            <location filename="../consult_wizard.py" line="259" />
            <source>Propose times for the video call</source>
            <translation>提议视频会诊时间</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="261" />
            <source>Up to three one-hour slots when the patient can be at the clinic.</source>
            <translation>最多三个患者能到诊所的一小时时段。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="268" />
            <source>Slot %1</source>
            <translation>时段 %1</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="295" />
            <source>to %1</source>
            <translation>至 %1</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="313" />
            <source>A proposed slot must be in the future.</source>
            <translation>提议的时段必须在将来。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="316" />
            <source>Propose each hour only once.</source>
            <translation>每个时段只能提议一次。</translation>
        </message>
    </context>
    <context>
        <name>SupportPage</name>
        <message>
            <location filename="../consult_wizard.py" line="140" />
            <source>What to include</source>
            <translation>附带内容</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="141" />
            <source>The specialist sees the records you tick, and nothing else.</source>
            <translation>专科医生只能看到您勾选的记录。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="194" />
            <source>No visits recorded.</source>
            <translation>无就诊记录。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="192" />
            <source>Active problems</source>
            <translation>活动问题</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="192" />
            <source>No active problems.</source>
            <translation>无活动问题。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="193" />
            <source>Visits (notes and form answers)</source>
            <translation>就诊（记录与表单）</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="195" />
            <source>Current medicines</source>
            <translation>当前用药</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="195" />
            <source>No current medicines.</source>
            <translation>无当前用药。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="196" />
            <source>Vitals (the specialist's trend charts show the ticked readings)</source>
            <translation>生命体征（专家的趋势图显示所勾选的读数）</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="197" />
            <source>No vitals recorded.</source>
            <translation>无生命体征记录。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="198" />
            <source>Allergies</source>
            <translation>过敏史</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="198" />
            <source>No allergies recorded.</source>
            <translation>未记录过敏。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="199" />
            <source>Attachments (photos, ECG, X-ray…)</source>
            <translation>附件（照片、心电图、X 光片…）</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="199" />
            <source>No attachments.</source>
            <translation>无附件。</translation>
        </message>
        <message>
            <location filename="../consult_wizard.py" line="227" />
            <source>BP %1/%2</source>
            <translation>血压 %1/%2</translation>
        </message>
    </context>
    <context>
        <name>SyncBar</name>
        <message>
            <location filename="../sync_bar.py" line="159" />
            <location filename="../sync_bar.py" line="286" />
            <source>Checking records…</source>
            <translation>正在检查病历…</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="163" />
            <location filename="../sync_bar.py" line="289" />
            <source>The program was not closed properly last time: all records are checked in the background. You can keep working.</source>
            <translation>程序上次未正常关闭：正在后台检查全部病历，您可以继续工作。</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="180" />
            <location filename="../sync_bar.py" line="293" />
            <source>Sync now</source>
            <translation>立即同步</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="181" />
            <location filename="../sync_bar.py" line="294" />
            <source>Sync with the central platform now (F5)</source>
            <translation>立即与中心平台同步（F5）</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="237" />
            <source>Records damaged — what to do</source>
            <translation>病历已损坏——如何处理</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="239" />
            <location filename="../sync_bar.py" line="256" />
            <source>The full check of %1 found damage in: %2.</source>
            <translation>%1 的全面检查发现以下部分已损坏：%2。</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="254" />
            <source>Records damaged</source>
            <translation>病历已损坏</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="312" />
            <source>Backup failed</source>
            <translation>备份失败</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="314" />
            <source>Automatic backups are off</source>
            <translation>自动备份已关闭</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="315" />
            <source>Choose a backup folder in the settings (another disk or a USB stick).</source>
            <translation>请在设置中选择备份文件夹（另一块磁盘或 U 盘）。</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="317" />
            <source>Backup folder not connected</source>
            <translation>备份文件夹未连接</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="319" />
            <source>The backup folder %1 is not there: connect the disk, USB stick or network share.</source>
            <translation>备份文件夹 %1 不存在：请连接磁盘、U 盘或网络共享。</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="322" />
            <source>Backup folder cannot be written</source>
            <translation>备份文件夹无法写入</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="324" />
            <source>No backup yet</source>
            <translation>尚无备份</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="325" />
            <source>No good backup in %1 yet.</source>
            <translation>%1 中还没有有效备份。</translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="328" />
            <source>Last backup %n day(s) ago</source>
            <translation>
                <numerusform>上次备份在 %n 天前</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="329" />
            <source>The newest good backup in %1 is older than %n day(s).</source>
            <translation>
                <numerusform>%1 中最新的有效备份已超过 %n 天。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="353" />
            <source>Not connected to a central platform</source>
            <translation>未连接中心平台</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="356" />
            <source>Connecting…</source>
            <translation>正在连接…</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="359" />
            <source>Online</source>
            <translation>在线</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="362" />
            <source>Offline — working locally</source>
            <translation>离线 — 本地工作</translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="363" />
            <source>%n change(s) waiting</source>
            <translation>
                <numerusform>%n 项更改待同步</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="365" />
            <source>%n of them failed on the central platform and are retried later.</source>
            <translation>
                <numerusform>其中 %n 项在中心平台出错，稍后重试。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="369" />
            <source>%n in error</source>
            <translation>
                <numerusform>%n 项出错</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="371" />
            <source>Refused by the central platform: show them to fix or discard</source>
            <translation>被中心平台拒绝：点此查看，以修改或放弃</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="375" />
            <source>Last sync %1</source>
            <translation>上次同步 %1</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="377" />
            <source>Never synced</source>
            <translation>从未同步</translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="387" />
            <source>%n conflict(s) to resolve</source>
            <translation>
                <numerusform>%n 个冲突待解决</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>SyncErrorsScreen</name>
        <message>
            <location filename="../sync_errors_screen.py" line="109" />
            <source>The central platform refused these changes. Nothing else waits for them: every other change is sent as usual. Fix the record and it is sent again in place of the refused change, or discard the change.</source>
            <translation>中心平台拒绝了以下更改。其他更改不会因此等待，照常发送。修改该记录后，它会代替被拒绝的更改重新发送；也可以放弃这项更改。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="114" />
            <source>Open record</source>
            <translation>打开记录</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="115" />
            <location filename="../sync_errors_screen.py" line="306" />
            <source>Open the patient's chart to fix the record</source>
            <translation>打开患者病历以修改该记录</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="116" />
            <source>Retry</source>
            <translation>重试</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="118" />
            <source>Send the change again (after fixing the record, or when the cause is gone)</source>
            <translation>重新发送这项更改（在修改记录后，或原因已消除时）</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="120" />
            <source>Discard…</source>
            <translation>放弃…</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="131" />
            <source>Patient details</source>
            <translation>患者信息</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="132" />
            <source>Measurement</source>
            <translation>测量值</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="133" />
            <source>Visit</source>
            <translation>就诊</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="134" />
            <source>Visit form</source>
            <translation>就诊表单</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="135" />
            <source>Condition</source>
            <translation>疾病</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="136" />
            <source>Allergy</source>
            <translation>过敏</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="137" />
            <source>Prescription</source>
            <translation>处方</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="138" />
            <source>Consult or referral</source>
            <translation>会诊或转诊</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="139" />
            <source>Message</source>
            <translation>消息</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="140" />
            <source>Report</source>
            <translation>报告</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="141" />
            <source>Specialist's opinion</source>
            <translation>专科意见</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="142" />
            <source>Appointment</source>
            <translation>预约</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="143" />
            <source>Care plan</source>
            <translation>诊疗计划</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="144" />
            <source>Follow-up or task</source>
            <translation>随访或任务</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="145" />
            <source>Document</source>
            <translation>文档</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="157" />
            <source>An identifier in this record has characters that are not allowed (only letters, digits, '-' and '.', up to 64).</source>
            <translation>该记录中的某个标识含有不允许的字符（只允许字母、数字、“-”和“.”，最多 64 个）。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="161" />
            <source>The record holds characters that cannot be stored, such as an invisible control character pasted from another program.</source>
            <translation>该记录含有无法保存的字符，例如从其他程序粘贴来的不可见控制字符。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="165" />
            <source>A field of this record holds a value the record standard (FHIR) does not allow.</source>
            <translation>该记录的某个字段含有记录标准（FHIR）不允许的值。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="167" />
            <source>The change is not in a form the central platform accepts.</source>
            <translation>这项更改的格式不被中心平台接受。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="168" />
            <source>The record's text holds formatting that is not allowed.</source>
            <translation>该记录的文本含有不允许的格式。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="169" />
            <source>The record is too large for the central platform.</source>
            <translation>该记录过大，中心平台无法接收。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="170" />
            <source>The record is nested too deeply.</source>
            <translation>该记录的嵌套层级过深。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="171" />
            <source>The central platform does not accept this kind of record.</source>
            <translation>中心平台不接受这类记录。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="173" />
            <source>The record refers to another record the central platform does not have (for example a patient whose own change was refused).</source>
            <translation>该记录引用了中心平台上没有的另一条记录（例如其本身的更改被拒绝的患者）。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="176" />
            <source>The record refers to a record of another server.</source>
            <translation>该记录引用了其他服务器上的记录。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="178" />
            <source>The record refers to another record in a way the central platform does not accept.</source>
            <translation>该记录引用其他记录的方式不被中心平台接受。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="180" />
            <source>This workstation may not change this record.</source>
            <translation>本工作站无权修改该记录。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="182" />
            <location filename="../sync_errors_screen.py" line="185" />
            <source>The central platform already has a different change under this change's number.</source>
            <translation>中心平台上已有一项使用相同编号的不同更改。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="188" />
            <source>An attached file has not reached the central platform yet.</source>
            <translation>附件尚未到达中心平台。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="190" />
            <source>The attached file is missing on this workstation.</source>
            <translation>本工作站上缺少该附件。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="191" />
            <source>The central platform refused this change.</source>
            <translation>中心平台拒绝了这项更改。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="196" />
            <source>Once the other record or file has reached it, choose Retry.</source>
            <translation>待另一条记录或文件到达中心平台后，请点“重试”。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="198" />
            <source>Discard this change; make it again if it is still needed.</source>
            <translation>请放弃这项更改；如仍需要，请重新录入。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="200" />
            <source>Open the record, correct it and save: it is then sent again by itself.</source>
            <translation>打开记录，改正后保存：它会自动重新发送。</translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_errors_screen.py" line="203" />
            <source>%n newer version(s) of this record wait and go in its place.</source>
            <translation>
                <numerusform>该记录有 %n 个较新的版本在等待，将代替它发送。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="219" />
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="221" />
            <source>%1 — %2</source>
            <translation>%1 — %2</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="260" />
            <source>%1
%2
%3</source>
            <translation>%1
%2
%3</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="359" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_errors_screen.py" line="273" />
            <source>%n change(s) in error</source>
            <translation>
                <numerusform>%n 项更改出错</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="275" />
            <source>No changes in error: the central platform accepted everything sent.</source>
            <translation>没有出错的更改：中心平台已接受所有发送的内容。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="300" />
            <source>The central platform said: %1 (%2)</source>
            <translation>中心平台的答复：%1（%2）</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="308" />
            <source>This record is not in a patient's chart.</source>
            <translation>该记录不属于任何患者病历。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="338" />
            <source>The record goes back to its version on the central platform; the changes made to it here since then are lost.</source>
            <translation>该记录将恢复为中心平台上的版本；此后在本机所做的修改将丢失。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="343" />
            <source>This record never reached the central platform: it is deleted on this workstation.</source>
            <translation>该记录从未到达中心平台：将在本工作站上删除。</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="345" />
            <source>Discard the refused change to %1?</source>
            <translation>放弃对“%1”的被拒绝更改？</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="355" />
            <source>Discard change</source>
            <translation>放弃更改</translation>
        </message>
        <message>
            <location filename="../sync_errors_screen.py" line="358" />
            <source>Discard</source>
            <translation>放弃</translation>
        </message>
    </context>
    <context>
        <name>TrendPlots</name>
        <message>
            <location filename="../vitals_trends.py" line="124" />
            <source>Heart rate (/min)</source>
            <translation>心率（次/分）</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="125" />
            <source>Glucose (mmol/L)</source>
            <translation>血糖（mmol/L）</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="126" />
            <source>HbA1c (%)</source>
            <translation>糖化血红蛋白（%）</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="127" />
            <source>Weight (kg)</source>
            <translation>体重（kg）</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="142" />
            <source>No readings</source>
            <translation>无测量值</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="151" />
            <source>%1 systolic, %2 diastolic</source>
            <translation>%1 收缩压，%2 舒张压</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="155" />
            <source>Blood pressure (mmHg)</source>
            <translation>血压（mmHg）</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="288" />
            <source>%1 readings; the highest and lowest of each period are plotted.</source>
            <translation>%1 次测量；图中显示每个时段的最高值和最低值。</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="293" />
            <source>%1 readings.</source>
            <translation>%1 次测量。</translation>
        </message>
        <message>
            <location filename="../vitals_trends.py" line="295" />
            <source>No vitals recorded yet.</source>
            <translation>尚无生命体征记录。</translation>
        </message>
    </context>
    <context>
        <name>UnlockScreen</name>
        <message>
            <location filename="../unlock_screen.py" line="53" />
            <location filename="../unlock_screen.py" line="117" />
            <source>Clinic workstation</source>
            <translation>诊所工作站</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="57" />
            <location filename="../unlock_screen.py" line="119" />
            <location filename="../unlock_screen.py" line="168" />
            <location filename="../unlock_screen.py" line="176" />
            <source>Sign in to open the clinic's records.</source>
            <translation>登录以打开诊所记录。</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="61" />
            <location filename="../unlock_screen.py" line="121" />
            <source>User</source>
            <translation>用户</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="64" />
            <location filename="../unlock_screen.py" line="66" />
            <location filename="../unlock_screen.py" line="122" />
            <location filename="../unlock_screen.py" line="131" />
            <source>Passphrase</source>
            <translation>口令</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="69" />
            <location filename="../unlock_screen.py" line="132" />
            <source>Sign in</source>
            <translation>登录</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="73" />
            <location filename="../unlock_screen.py" line="133" />
            <source>Forgot the passphrase?</source>
            <translation>忘记口令？</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="79" />
            <location filename="../unlock_screen.py" line="134" />
            <source>Set a new passphrase with the recovery key</source>
            <translation>用恢复密钥设置新密码</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="83" />
            <location filename="../unlock_screen.py" line="137" />
            <source>The recovery key was shown once when this workstation was set up (13 groups of four letters and digits). It sets a new passphrase for the user chosen above.</source>
            <translation>恢复密钥在设置本工作站时显示过一次（13 组，每组四个字母或数字）。它可为上面选中的用户设置新密码。</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="92" />
            <location filename="../unlock_screen.py" line="123" />
            <source>Recovery key</source>
            <translation>恢复密钥</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="97" />
            <location filename="../unlock_screen.py" line="141" />
            <source>at least 8 characters</source>
            <translation>至少 8 个字符</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="99" />
            <location filename="../unlock_screen.py" line="124" />
            <source>New passphrase</source>
            <translation>新口令</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="101" />
            <location filename="../unlock_screen.py" line="125" />
            <source>Repeat it</source>
            <translation>再次输入</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="103" />
            <location filename="../unlock_screen.py" line="142" />
            <source>Set the new passphrase and sign in</source>
            <translation>设置新密码并登录</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="162" />
            <source>Opening the records…</source>
            <translation>正在打开记录…</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="183" />
            <source>Type your passphrase.</source>
            <translation>请输入口令。</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="203" />
            <source>Type the recovery key.</source>
            <translation>请输入恢复密钥。</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="206" />
            <source>A passphrase needs at least 8 characters.</source>
            <translation>口令至少需要 8 个字符。</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="209" />
            <source>The two new passphrases differ.</source>
            <translation>两次输入的新口令不一致。</translation>
        </message>
        <message>
            <location filename="../unlock_screen.py" line="212" />
            <source>Choose the user whose passphrase is forgotten.</source>
            <translation>请选择忘记密码的用户。</translation>
        </message>
    </context>
    <context>
        <name>VisitDialog</name>
        <message>
            <location filename="../visit_screen.py" line="199" />
            <source>Visit — %1</source>
            <translation>就诊 — %1</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="220" />
            <source>Reason for the visit (optional)</source>
            <translation>就诊原因（可选）</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="221" />
            <source>Form</source>
            <translation>表单</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="223" />
            <source>Date and time</source>
            <translation>日期时间</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="234" />
            <location filename="../visit_screen.py" line="611" />
            <source>Vitals</source>
            <translation>生命体征</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="264" />
            <source>Print summary to PDF…</source>
            <translation>打印摘要为 PDF…</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="267" />
            <source>Save visit</source>
            <translation>保存就诊</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="269" />
            <source>Save the visit (Ctrl+S)</source>
            <translation>保存就诊（Ctrl+S）</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="271" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="273" />
            <source>Prescribe…</source>
            <translation>开处方…</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="291" />
            <source>Diagnoses (ICD-10)</source>
            <translation>诊断（ICD-10）</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="296" />
            <source>Add diagnosis</source>
            <translation>添加诊断</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="305" />
            <source>Also add to the problem list</source>
            <translation>同时加入问题列表</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="311" />
            <source>Double-click a diagnosis to remove it</source>
            <translation>双击诊断可将其移除</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="321" />
            <source>Choose a diagnosis from the ICD-10 list.</source>
            <translation>请从 ICD-10 列表中选择诊断。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="371" />
            <source>* required</source>
            <translation>* 必填</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="404" />
            <source>— not answered —</source>
            <translation>— 未填写 —</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="409" />
            <location filename="../visit_screen.py" line="427" />
            <source>not answered</source>
            <translation>未填写</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="417" />
            <source>—</source>
            <translation>—</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="428" />
            <source>Yes</source>
            <translation>是</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="428" />
            <source>No</source>
            <translation>否</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="472" />
            <source>Please answer this.</source>
            <translation>请填写此项。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="489" />
            <source>Diastolic pressure must be below systolic.</source>
            <translation>舒张压必须低于收缩压。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="558" />
            <source>Visit saved.</source>
            <translation>就诊已保存。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="605" />
            <location filename="../visit_screen.py" line="652" />
            <source>Visit summary</source>
            <translation>就诊摘要</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="608" />
            <source>Doctor: %1</source>
            <translation>医生：%1</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="609" />
            <source>None recorded.</source>
            <translation>无记录。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="610" />
            <source>Answers</source>
            <translation>回答</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="631" />
            <source>Save visit summary as PDF</source>
            <translation>将就诊摘要保存为 PDF</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="633" />
            <source>PDF files (*.pdf)</source>
            <translation>PDF 文件 (*.pdf)</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="645" />
            <source>Summary saved to %1</source>
            <translation>摘要已保存到 %1</translation>
        </message>
    </context>
    <context>
        <name>VitalField</name>
        <message>
            <location filename="../visit_screen.py" line="145" />
            <source>Enter a number.</source>
            <translation>请输入数字。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="151" />
            <source>Must be between %1 and %2 %3.</source>
            <translation>必须在 %1 到 %2 %3 之间。</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="171" />
            <source>= %1 %2</source>
            <translation>= %1 %2</translation>
        </message>
        <message>
            <location filename="../visit_screen.py" line="178" />
            <source>Normal</source>
            <translation>正常</translation>
        </message>
    </context>
    <context>
        <name>VitalsPanel</name>
        <message>
            <location filename="../call_panels.py" line="195" />
            <source>Send reading</source>
            <translation>发送读数</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="235" />
            <source>sent</source>
            <translation>已发送</translation>
        </message>
        <message>
            <location filename="../call_panels.py" line="235" />
            <source>received</source>
            <translation>已收到</translation>
        </message>
    </context>
    <context>
        <name>call_launcher</name>
        <message>
            <location filename="../call_launcher.py" line="116" />
            <source>No call to join yet</source>
            <translation>暂无可加入的通话</translation>
        </message>
        <message>
            <location filename="../call_launcher.py" line="121" />
            <source>%1, %2</source>
            <translation>%1，%2</translation>
        </message>
    </context>
    <context>
        <name>case_text</name>
        <message>
            <location filename="../case_text.py" line="25" />
            <source>%1 (since %2)</source>
            <translation>%1（自 %2 起）</translation>
        </message>
        <message>
            <location filename="../case_text.py" line="32" />
            <source>No known allergies (stated %1)</source>
            <translation>无已知过敏（%1 记录）</translation>
        </message>
        <message>
            <location filename="../case_text.py" line="36" />
            <location filename="../clinical_text.py" line="117" />
            <source>%1 (%2)</source>
            <translation>%1（%2）</translation>
        </message>
        <message>
            <location filename="../case_text.py" line="38" />
            <source>%1, high risk</source>
            <translation>%1，高危</translation>
        </message>
        <message>
            <location filename="../case_text.py" line="47" />
            <source>%1 — %2</source>
            <translation>%1 — %2</translation>
        </message>
        <message>
            <location filename="../case_text.py" line="49" />
            <source>%1 (taken, prescribed elsewhere)</source>
            <translation>%1（在用，外院开具）</translation>
        </message>
        <message>
            <location filename="../case_text.py" line="51" />
            <source>%1 (replaces an earlier prescription)</source>
            <translation>%1（替代先前处方）</translation>
        </message>
    </context>
    <context>
        <name>clinical_text</name>
        <message>
            <location filename="../clinical_text.py" line="29" />
            <source>Systolic BP</source>
            <translation>收缩压</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="30" />
            <source>Diastolic BP</source>
            <translation>舒张压</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="31" />
            <source>Heart rate</source>
            <translation>心率</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="32" />
            <source>Respiratory rate</source>
            <translation>呼吸频率</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="33" />
            <source>Temperature</source>
            <translation>体温</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="34" />
            <source>SpO₂</source>
            <translation>血氧饱和度</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="35" />
            <location filename="../clinical_text.py" line="36" />
            <source>Glucose</source>
            <translation>血糖</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="37" />
            <location filename="../clinical_text.py" line="38" />
            <source>HbA1c</source>
            <translation>糖化血红蛋白</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="39" />
            <source>Weight</source>
            <translation>体重</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="40" />
            <source>Height</source>
            <translation>身高</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="47" />
            <source>High</source>
            <translation>偏高</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="48" />
            <source>Low</source>
            <translation>偏低</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="49" />
            <source>Critical high</source>
            <translation>危急偏高</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="50" />
            <source>Critical low</source>
            <translation>危急偏低</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="56" />
            <location filename="../conflicts_screen.py" line="140" />
            <source>Routine</source>
            <translation>常规</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="57" />
            <location filename="../conflicts_screen.py" line="141" />
            <source>Urgent</source>
            <translation>紧急</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="58" />
            <location filename="../conflicts_screen.py" line="142" />
            <source>As soon as possible</source>
            <translation>尽快</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="59" />
            <location filename="../conflicts_screen.py" line="143" />
            <source>Emergency (stat)</source>
            <translation>急诊（立即）</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="69" />
            <location filename="../conflicts_screen.py" line="110" />
            <source>Male</source>
            <translation>男</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="70" />
            <location filename="../conflicts_screen.py" line="111" />
            <source>Female</source>
            <translation>女</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="71" />
            <location filename="../conflicts_screen.py" line="112" />
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="72" />
            <location filename="../clinical_text.py" line="73" />
            <location filename="../conflicts_screen.py" line="113" />
            <source>Unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="91" />
            <location filename="../conflicts_screen.py" line="190" />
            <source>Yes</source>
            <translation>是</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="91" />
            <location filename="../conflicts_screen.py" line="190" />
            <source>No</source>
            <translation>否</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="104" />
            <source>%1 %2 (%3)</source>
            <translation>%1 %2（%3）</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="104" />
            <source>%1 %2</source>
            <translation>%1 %2</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="110" />
            <location filename="../conflicts_screen.py" line="170" />
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="126" />
            <source>%1 %2 %3</source>
            <translation>%1 %2 %3</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="143" />
            <source>Pinyin</source>
            <translation>拼音</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="144" />
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="145" />
            <source>Age</source>
            <translation>年龄</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="145" />
            <source>%1 years</source>
            <translation>%1 岁</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="146" />
            <source>ID number</source>
            <translation>身份证号</translation>
        </message>
        <message>
            <location filename="../clinical_text.py" line="148" />
            <source>Phone</source>
            <translation>电话</translation>
        </message>
    </context>
    <context>
        <name>conflict_values</name>
        <message>
            <location filename="../conflicts_screen.py" line="55" />
            <source>Full address</source>
            <translation>完整地址</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="55" />
            <source>Text</source>
            <translation>文字</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="57" />
            <source>Family name</source>
            <translation>姓</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="58" />
            <source>Given name</source>
            <translation>名</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="59" />
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="60" />
            <source>Suffix</source>
            <translation>后缀</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="61" />
            <source>Use</source>
            <translation>用途</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="62" />
            <source>Value</source>
            <translation>内容</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="63" />
            <source>Street, village</source>
            <translation>街道/村</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="64" />
            <source>City</source>
            <translation>市</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="65" />
            <source>County, district</source>
            <translation>县/区</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="66" />
            <source>Province</source>
            <translation>省</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="67" />
            <source>Postal code</source>
            <translation>邮编</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="68" />
            <source>Country</source>
            <translation>国家</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="69" />
            <source>Period</source>
            <translation>期间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="70" />
            <source>Start</source>
            <translation>开始</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="71" />
            <source>End</source>
            <translation>结束</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="72" />
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="73" />
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="74" />
            <source>Code</source>
            <translation>代码</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="75" />
            <source>Coded as</source>
            <translation>编码</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="76" />
            <source>Record</source>
            <translation>记录</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="77" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="78" />
            <source>Who</source>
            <translation>人员</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="79" />
            <source>Required</source>
            <translation>是否必需</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="80" />
            <source>Author</source>
            <translation>作者</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="81" />
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="82" />
            <source>Question</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="83" />
            <location filename="../conflicts_screen.py" line="84" />
            <location filename="../conflicts_screen.py" line="85" />
            <location filename="../conflicts_screen.py" line="86" />
            <location filename="../conflicts_screen.py" line="87" />
            <location filename="../conflicts_screen.py" line="88" />
            <source>Answer</source>
            <translation>回答</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="89" />
            <source>Rank</source>
            <translation>顺序</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="90" />
            <source>Unit</source>
            <translation>单位</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="99" />
            <source>Mobile</source>
            <translation>手机</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="100" />
            <source>Home</source>
            <translation>家庭</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="101" />
            <source>Work</source>
            <translation>工作</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="102" />
            <source>Temporary</source>
            <translation>临时</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="103" />
            <source>Old</source>
            <translation>旧的</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="104" />
            <source>Official</source>
            <translation>正式</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="105" />
            <source>Usual</source>
            <translation>常用</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="106" />
            <source>Billing</source>
            <translation>结算</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="108" />
            <source>China</source>
            <translation>中国</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="116" />
            <source>Proposed</source>
            <translation>已提议</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="117" />
            <source>Pending</source>
            <translation>待定</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="118" />
            <source>Booked</source>
            <translation>已预约</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="119" />
            <source>Arrived</source>
            <translation>已到达</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="120" />
            <source>Fulfilled</source>
            <translation>已完成</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="121" />
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="122" />
            <source>No-show</source>
            <translation>未到</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="123" />
            <source>Draft</source>
            <translation>草稿</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="124" />
            <source>Requested</source>
            <translation>已申请</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="125" />
            <source>Accepted</source>
            <translation>已接受</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="126" />
            <source>Declined</source>
            <translation>已拒绝</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="127" />
            <source>In progress</source>
            <translation>进行中</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="128" />
            <source>Active</source>
            <translation>进行中</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="129" />
            <source>On hold</source>
            <translation>暂停</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="130" />
            <source>Completed</source>
            <translation>已完成</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="131" />
            <source>Revoked</source>
            <translation>已撤销</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="132" />
            <source>Planned</source>
            <translation>已计划</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="133" />
            <source>Finished</source>
            <translation>已结束</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="134" />
            <source>Entered in error</source>
            <translation>录入错误</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="135" />
            <source>Current</source>
            <translation>当前</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="136" />
            <source>Final</source>
            <translation>最终</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="137" />
            <source>Amended</source>
            <translation>已修订</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="158" />
            <source>the patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="159" />
            <source>a doctor</source>
            <translation>医生</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="160" />
            <source>a consult request</source>
            <translation>会诊申请</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="161" />
            <source>a visit</source>
            <translation>就诊</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="162" />
            <source>an appointment</source>
            <translation>预约</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="163" />
            <source>a care plan</source>
            <translation>诊疗计划</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="164" />
            <source>a time slot</source>
            <translation>时段</translation>
        </message>
        <message>
            <location filename="../conflicts_screen.py" line="165" />
            <source>another record</source>
            <translation>其他记录</translation>
        </message>
    </context>
    <context>
        <name>consult_status</name>
        <message>
            <location filename="../consult_status.py" line="24" />
            <source>Draft (not sent)</source>
            <translation>草稿（未发送）</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="25" />
            <source>Queued offline</source>
            <translation>离线排队中</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="26" />
            <source>Delivered</source>
            <translation>已送达</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="27" />
            <source>Accepted</source>
            <translation>已接受</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="28" />
            <source>Scheduled</source>
            <translation>已安排</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="29" />
            <source>Answered</source>
            <translation>已答复</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="30" />
            <source>Declined</source>
            <translation>已拒绝</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="31" />
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="51" />
            <source>This time is only proposed: the specialist has not accepted it yet, so there is no call to join. When the specialist accepts it (or picks another of the proposed times), the appointment shows here as Booked and the call can be joined then. Nothing needs doing now; the request reaches the specialist when the records sync.</source>
            <translation>此时间仅为提议：专科医生尚未接受，因此暂无可加入的通话。专科医生接受后（或选择了其他提议的时间），预约将在此显示为“已预约”，届时即可加入通话。现在无需任何操作；病历同步时申请会送达专科医生。</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="59" />
            <source>This appointment waits for the specialist's confirmation, so there is no call to join yet. Once confirmed it shows here as Booked and the call can be joined then.</source>
            <translation>此预约正在等待专科医生确认，因此暂无可加入的通话。确认后将在此显示为“已预约”，届时即可加入通话。</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="65" />
            <source>This consult appointment has taken place; its call has ended.</source>
            <translation>此会诊预约已进行，通话已结束。</translation>
        </message>
        <message>
            <location filename="../consult_status.py" line="68" />
            <source>This consult appointment was cancelled or missed: no call to join.</source>
            <translation>此会诊预约已取消或已错过：没有可加入的通话。</translation>
        </message>
    </context>
    <context>
        <name>core</name>
        <message>
            <source>This workstation has several users: pass --user NAME.</source>
            <translation>此工作站有多个用户：请加上 --user 用户名。</translation>
        </message>
        <message>
            <source>The two entries differ; nothing was changed.</source>
            <translation>两次输入不一致，未做任何更改。</translation>
        </message>
        <message>
            <source>--patients must be between 1 and 200000.</source>
            <translation>--patients 必须在 1 到 200000 之间。</translation>
        </message>
        <message>
            <source>The folder for --out does not exist.</source>
            <translation>--out 指定的文件夹不存在。</translation>
        </message>
        <message>
            <source>Pass --user NAME: the user whose passphrase opens the backup.</source>
            <translation>请加上 --user 用户名：指定其口令可打开备份的用户。</translation>
        </message>
        <message>
            <source>Give the conflict number (see `clinic-app conflicts list`).</source>
            <translation>请给出冲突编号（见 `clinic-app conflicts list`）。</translation>
        </message>
        <message>
            <source>--field takes NAME=local or NAME=remote.</source>
            <translation>--field 的格式为 字段名=local 或 字段名=remote。</translation>
        </message>
        <message>
            <source>The demo central platform did not start; see .demo/central/central.log.</source>
            <translation>演示用中心平台未能启动；请查看 .demo/central/central.log。</translation>
        </message>
        <message>
            <source>Set CLINIC_PASSPHRASE for the demo profile.</source>
            <translation>请为演示档案设置 CLINIC_PASSPHRASE。</translation>
        </message>
        <message>
            <source>The file is too large to import (2 GB at most).</source>
            <translation>文件过大，无法导入（最大 2 GB）。</translation>
        </message>
        <message>
            <source>The file holds no resources.</source>
            <translation>文件中没有任何资源。</translation>
        </message>
        <message>
            <source>The file to import cannot be read.</source>
            <translation>无法读取要导入的文件。</translation>
        </message>
        <message>
            <source>The file is not UTF-8 text; nothing was imported.</source>
            <translation>文件不是 UTF-8 文本，未导入任何内容。</translation>
        </message>
        <message>
            <source>The end date is before the start date.</source>
            <translation>结束日期早于开始日期。</translation>
        </message>
        <message>
            <source>Unknown condition status.</source>
            <translation>未知的疾病状态。</translation>
        </message>
        <message>
            <source>Criticality is low, high or unable to assess.</source>
            <translation>严重程度须为低、高或无法评估。</translation>
        </message>
        <message>
            <source>A prescription lasts 1 to 365 days.</source>
            <translation>处方疗程为 1 至 365 天。</translation>
        </message>
        <message>
            <source>The quantity must be more than zero.</source>
            <translation>数量必须大于零。</translation>
        </message>
        <message>
            <source>Enter a date as YYYY-MM-DD.</source>
            <translation>请按 YYYY-MM-DD 格式输入日期。</translation>
        </message>
        <message>
            <source>A visit is an initial visit or a follow-up.</source>
            <translation>就诊类型须为初诊或复诊。</translation>
        </message>
        <message>
            <source>A visit cannot end before it starts.</source>
            <translation>就诊结束时间不能早于开始时间。</translation>
        </message>
        <message>
            <source>Unknown form version.</source>
            <translation>未知的表单版本。</translation>
        </message>
        <message>
            <source>Unsupported question type.</source>
            <translation>不支持的问题类型。</translation>
        </message>
        <message>
            <source>Unknown form.</source>
            <translation>未知的表单。</translation>
        </message>
        <message>
            <source>Choose one of the listed answers.</source>
            <translation>请从列出的答案中选择一项。</translation>
        </message>
        <message>
            <source>That question is not part of this form.</source>
            <translation>该问题不属于此表单。</translation>
        </message>
        <message>
            <source>Enter zero or more.</source>
            <translation>请输入零或更大的数。</translation>
        </message>
        <message>
            <source>Answer yes or no.</source>
            <translation>请回答是或否。</translation>
        </message>
        <message>
            <source>Enter a whole number.</source>
            <translation>请输入整数。</translation>
        </message>
        <message>
            <source>Enter a number.</source>
            <translation>请输入数字。</translation>
        </message>
        <message>
            <source>Enter a mobile number (11 digits, starting with 1) or a landline with area code.</source>
            <translation>请输入手机号（11 位，以 1 开头）或带区号的固定电话。</translation>
        </message>
        <message>
            <source>Old 15-digit ID: please enter the 18-character ID.</source>
            <translation>这是旧的 15 位身份证号：请输入 18 位身份证号。</translation>
        </message>
        <message>
            <source>An ID number has 17 digits and a final digit or X.</source>
            <translation>身份证号由 17 位数字加一位数字或 X 组成。</translation>
        </message>
        <message>
            <source>The ID number does not start with a valid region code.</source>
            <translation>身份证号开头不是有效的地区代码。</translation>
        </message>
        <message>
            <source>The ID number holds an impossible birth date.</source>
            <translation>身份证号中的出生日期不存在。</translation>
        </message>
        <message>
            <source>The ID number's check digit is wrong; please re-check it.</source>
            <translation>身份证号校验位错误，请重新核对。</translation>
        </message>
        <message>
            <source>Choose a specialty from the list.</source>
            <translation>请从列表中选择专科。</translation>
        </message>
        <message>
            <source>Urgency is routine, urgent, asap or stat.</source>
            <translation>紧急程度须为常规、紧急、尽快或立即。</translation>
        </message>
        <message>
            <source>Write the question for the specialist.</source>
            <translation>请填写向专科医生提出的问题。</translation>
        </message>
        <message>
            <source>The question is too long (4000 characters at most).</source>
            <translation>问题过长（最多 4000 个字符）。</translation>
        </message>
        <message>
            <source>A new request is a draft or active.</source>
            <translation>新申请的状态须为草稿或有效。</translation>
        </message>
        <message>
            <source>Write the opinion.</source>
            <translation>请填写会诊意见。</translation>
        </message>
        <message>
            <source>The opinion is too long (20000 characters at most).</source>
            <translation>会诊意见过长（最多 20000 个字符）。</translation>
        </message>
        <message>
            <source>Enter the patient's name.</source>
            <translation>请输入患者姓名。</translation>
        </message>
        <message>
            <source>The name is too long.</source>
            <translation>姓名过长。</translation>
        </message>
        <message>
            <source>Choose male, female, other or unknown.</source>
            <translation>请选择男、女、其他或未知。</translation>
        </message>
        <message>
            <source>The birth date is not possible.</source>
            <translation>出生日期不合理。</translation>
        </message>
        <message>
            <source>The birth date does not match the one in the ID number.</source>
            <translation>出生日期与身份证号中的不一致。</translation>
        </message>
        <message>
            <source>The gender does not match the ID number.</source>
            <translation>性别与身份证号不一致。</translation>
        </message>
        <message>
            <source>Appointments start on the hour (one-hour slots).</source>
            <translation>预约须从整点开始（每个时段一小时）。</translation>
        </message>
        <message>
            <source>A new appointment is proposed, pending or booked.</source>
            <translation>新预约的状态须为提议、待定或已预约。</translation>
        </message>
        <message>
            <source>Say what the follow-up is for.</source>
            <translation>请说明随访内容。</translation>
        </message>
        <message>
            <source>A follow-up cannot be due in the past.</source>
            <translation>随访到期日不能是过去的日期。</translation>
        </message>
        <message>
            <source>Unknown vital sign.</source>
            <translation>未知的生命体征。</translation>
        </message>
        <message>
            <source>Systolic blood pressure</source>
            <translation>收缩压</translation>
        </message>
        <message>
            <source>Diastolic blood pressure</source>
            <translation>舒张压</translation>
        </message>
        <message>
            <source>Heart rate</source>
            <translation>心率</translation>
        </message>
        <message>
            <source>Respiratory rate</source>
            <translation>呼吸频率</translation>
        </message>
        <message>
            <source>Body temperature</source>
            <translation>体温</translation>
        </message>
        <message>
            <source>Oxygen saturation in Arterial blood</source>
            <translation>动脉血氧饱和度</translation>
        </message>
        <message>
            <source>Glucose [Moles/volume] in Blood</source>
            <translation>血糖（mmol/L）</translation>
        </message>
        <message>
            <source>Glucose [Mass/volume] in Blood</source>
            <translation>血糖（mg/dL）</translation>
        </message>
        <message>
            <source>Body weight</source>
            <translation>体重</translation>
        </message>
        <message>
            <source>Body height</source>
            <translation>身高</translation>
        </message>
        <message>
            <source>Propose at most three slots.</source>
            <translation>最多提议三个时段。</translation>
        </message>
        <message>
            <source>Only a draft can be sent.</source>
            <translation>只能发送草稿。</translation>
        </message>
        <message>
            <source>The file of this document is not on this workstation yet.</source>
            <translation>此文档的文件尚未同步到本工作站。</translation>
        </message>
        <message>
            <source>This file is too large to show here; open it with the system viewer.</source>
            <translation>文件过大，无法在此显示；请用系统查看器打开。</translation>
        </message>
        <message>
            <source>A proposed slot must be in the future.</source>
            <translation>提议的时段必须在将来。</translation>
        </message>
        <message>
            <source>Propose each hour only once.</source>
            <translation>每个时段只能提议一次。</translation>
        </message>
        <message>
            <source>A supporting record belongs to another patient.</source>
            <translation>某条附带记录属于其他患者。</translation>
        </message>
        <message>
            <source>No open conflict with that number.</source>
            <translation>没有该编号的未解决冲突。</translation>
        </message>
        <message>
            <source>Choose a side for every field (or keep one side entirely).</source>
            <translation>请为每个字段选择一方（或整体保留一方）。</translation>
        </message>
        <message>
            <source>That request is not a consult request.</source>
            <translation>该申请不是会诊申请。</translation>
        </message>
        <message>
            <source>This consult request is closed or was withdrawn.</source>
            <translation>此会诊申请已关闭或已撤回。</translation>
        </message>
        <message>
            <source>Say why you decline the consult.</source>
            <translation>请说明拒绝会诊的原因。</translation>
        </message>
        <message>
            <source>The reason is too long (2000 characters at most).</source>
            <translation>原因过长（最多 2000 个字符）。</translation>
        </message>
        <message>
            <source>The consult request names no patient.</source>
            <translation>会诊申请未指明患者。</translation>
        </message>
        <message>
            <source>That task is not a follow-up.</source>
            <translation>该任务不是随访。</translation>
        </message>
        <message>
            <source>This follow-up is already done.</source>
            <translation>此随访已完成。</translation>
        </message>
        <message>
            <source>That file cannot be read.</source>
            <translation>无法读取该文件。</translation>
        </message>
        <message>
            <source>Attach images, PDFs, DICOM or text files.</source>
            <translation>请添加图片、PDF、DICOM 或文本文件。</translation>
        </message>
        <message>
            <source>Only this patient's records can be included.</source>
            <translation>只能附带该患者的记录。</translation>
        </message>
        <message>
            <source>That hour is already booked for this doctor.</source>
            <translation>该医生在此时段已有预约。</translation>
        </message>
        <message>
            <source>Diastolic pressure must be below systolic.</source>
            <translation>舒张压必须低于收缩压。</translation>
        </message>
        <message>
            <source>This workstation is not connected to a central platform: run `clinic-app enroll` (clinic) or `clinic-app login` (specialist) first.</source>
            <translation>本工作站未连接中心平台：请先运行 `clinic-app enroll`（诊所）或 `clinic-app login`（专科医生）。</translation>
        </message>
        <message>
            <source>The answer from the central platform was cut off.</source>
            <translation>中心平台的响应不完整。</translation>
        </message>
        <message>
            <source>A downloaded attachment did not match its hash; it was discarded.</source>
            <translation>下载的附件与其哈希值不符，已丢弃。</translation>
        </message>
        <message>
            <source>The upload did not complete; it will resume on the next try.</source>
            <translation>上传未完成，下次将继续。</translation>
        </message>
        <message>
            <source>The upload lost its place; it will resume on the next try.</source>
            <translation>上传进度丢失，下次将继续。</translation>
        </message>
        <message>
            <source>An attachment file is damaged; its content was not used.</source>
            <translation>附件文件已损坏，未使用其内容。</translation>
        </message>
        <message>
            <source>The workstation is locked.</source>
            <translation>工作站已锁定。</translation>
        </message>
        <message>
            <source>No such attachment.</source>
            <translation>没有此附件。</translation>
        </message>
        <message>
            <source>That is not a recovery key: it has 52 letters and digits in groups.</source>
            <translation>这不是恢复密钥：恢复密钥由分组的 52 个字母和数字组成。</translation>
        </message>
        <message>
            <source>The recovery key does not open this profile.</source>
            <translation>此恢复密钥无法打开该档案。</translation>
        </message>
        <message>
            <source>The key header names an unknown key derivation.</source>
            <translation>密钥头指定了未知的密钥派生方法。</translation>
        </message>
        <message>
            <source>The key header holds a slot of unknown kind.</source>
            <translation>密钥头包含未知类型的密钥槽。</translation>
        </message>
        <message>
            <source>A user name is required.</source>
            <translation>必须填写用户名。</translation>
        </message>
        <message>
            <source>A passphrase needs at least 8 characters.</source>
            <translation>口令至少需要 8 个字符。</translation>
        </message>
        <message>
            <source>That user already has a key slot.</source>
            <translation>该用户已有密钥槽。</translation>
        </message>
        <message>
            <source>There is no such user on this workstation.</source>
            <translation>本工作站没有此用户。</translation>
        </message>
        <message>
            <source>The last user cannot be removed.</source>
            <translation>不能删除最后一个用户。</translation>
        </message>
        <message>
            <source>The user name or passphrase is wrong.</source>
            <translation>用户名或口令错误。</translation>
        </message>
        <message>
            <source>The key header does not match the data key.</source>
            <translation>密钥头与数据密钥不匹配。</translation>
        </message>
        <message>
            <source>The key header has an unknown format.</source>
            <translation>密钥头格式未知。</translation>
        </message>
        <message>
            <source>The record database has no schema version; it was not made by us.</source>
            <translation>记录数据库没有架构版本，并非本程序创建。</translation>
        </message>
        <message>
            <source>This profile is too old for this version of the program.</source>
            <translation>此档案版本过旧，本版程序无法使用。</translation>
        </message>
        <message>
            <source>A profile already exists in that folder.</source>
            <translation>该文件夹中已存在档案。</translation>
        </message>
        <message>
            <source>A record without a resourceType cannot be stored.</source>
            <translation>缺少 resourceType 的记录无法保存。</translation>
        </message>
        <message>
            <source>A record id is already used by a record of another type.</source>
            <translation>该记录 ID 已被其他类型的记录使用。</translation>
        </message>
        <message>
            <source>No such record version.</source>
            <translation>没有此记录版本。</translation>
        </message>
        <message>
            <source>That file is not a readable clinic backup.</source>
            <translation>该文件不是可读取的诊所备份。</translation>
        </message>
        <message>
            <source>The record was changed meanwhile; reload it and try again.</source>
            <translation>记录已被他人修改，请重新加载后再试。</translation>
        </message>
        <message>
            <source>That file is not a complete clinic backup.</source>
            <translation>该文件不是完整的诊所备份。</translation>
        </message>
        <message>
            <source>The backup file is damaged.</source>
            <translation>备份文件已损坏。</translation>
        </message>
        <message>
            <source>The database in the backup is damaged.</source>
            <translation>备份中的数据库已损坏。</translation>
        </message>
        <message>
            <source>The backup holds an unsafe file name.</source>
            <translation>备份中包含不安全的文件名。</translation>
        </message>
        <message>
            <source>Initial visit</source>
            <translation>初诊</translation>
        </message>
        <message>
            <source>Follow-up visit</source>
            <translation>复诊</translation>
        </message>
        <message>
            <source>Cardiology</source>
            <translation>心内科</translation>
        </message>
        <message>
            <source>Endocrinology</source>
            <translation>内分泌科</translation>
        </message>
        <message>
            <source>Dermatology</source>
            <translation>皮肤科</translation>
        </message>
        <message>
            <source>Neurology</source>
            <translation>神经内科</translation>
        </message>
        <message>
            <source>Pediatrics</source>
            <translation>儿科</translation>
        </message>
        <message>
            <source>Radiology</source>
            <translation>放射科</translation>
        </message>
        <message>
            <source>Respiratory medicine</source>
            <translation>呼吸内科</translation>
        </message>
        <message>
            <source>Obstetrics and gynaecology</source>
            <translation>妇产科</translation>
        </message>
        <message>
            <source>General medicine</source>
            <translation>全科</translation>
        </message>
        <message>
            <source>Interface language: en or zh_CN (empty: follow the system).</source>
            <translation>界面语言：en 或 zh_CN（留空则跟随系统）。</translation>
        </message>
        <message>
            <source>Minutes without keyboard or mouse use before the workstation locks itself.</source>
            <translation>无键盘或鼠标操作多少分钟后工作站自动锁定。</translation>
        </message>
        <message>
            <source>Progress since last visit</source>
            <translation>上次就诊以来的变化</translation>
        </message>
        <message>
            <source>Improved</source>
            <translation>好转</translation>
        </message>
        <message>
            <source>Unchanged</source>
            <translation>无变化</translation>
        </message>
        <message>
            <source>Worse</source>
            <translation>加重</translation>
        </message>
        <message>
            <source>Takes medication as prescribed</source>
            <translation>遵医嘱服药</translation>
        </message>
        <message>
            <source>Side effects</source>
            <translation>不良反应</translation>
        </message>
        <message>
            <source>Home readings (count this period)</source>
            <translation>居家测量次数（本期）</translation>
        </message>
        <message>
            <source>Notes</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Plan</source>
            <translation>处理计划</translation>
        </message>
        <message>
            <source>Chief complaint</source>
            <translation>主诉</translation>
        </message>
        <message>
            <source>History of present illness</source>
            <translation>现病史</translation>
        </message>
        <message>
            <source>Past medical history</source>
            <translation>既往史</translation>
        </message>
        <message>
            <source>Family history</source>
            <translation>家族史</translation>
        </message>
        <message>
            <source>Smoking</source>
            <translation>吸烟</translation>
        </message>
        <message>
            <source>Never</source>
            <translation>从不吸烟</translation>
        </message>
        <message>
            <source>Former</source>
            <translation>已戒烟</translation>
        </message>
        <message>
            <source>Current</source>
            <translation>目前吸烟</translation>
        </message>
        <message>
            <source>Alcohol use</source>
            <translation>饮酒</translation>
        </message>
        <message>
            <source>None</source>
            <translation>不饮酒</translation>
        </message>
        <message>
            <source>Occasional</source>
            <translation>偶尔</translation>
        </message>
        <message>
            <source>Daily</source>
            <translation>每天</translation>
        </message>
        <message>
            <source>Pregnant</source>
            <translation>妊娠</translation>
        </message>
        <message>
            <source>Physical examination</source>
            <translation>体格检查</translation>
        </message>
        <message>
            <source>Assessment</source>
            <translation>评估</translation>
        </message>
        <message>
            <source>That slot is over; choose a later one.</source>
            <translation>该时段已过，请选择更晚的时段。</translation>
        </message>
        <message>
            <source>The shared file arrived damaged; send it again.</source>
            <translation>共享的文件传输损坏，请重新发送。</translation>
        </message>
        <message>
            <source>Relay-only calls need a TURN server, and the central platform has none configured.</source>
            <translation>仅中继通话需要 TURN 服务器，而中心平台尚未配置。</translation>
        </message>
        <message>
            <source>The central platform answered the call unexpectedly.</source>
            <translation>中心平台对通话请求的应答异常。</translation>
        </message>
        <message>
            <source>The call's connection to the central platform dropped.</source>
            <translation>通话与中心平台的连接已断开。</translation>
        </message>
        <message>
            <source>The central platform cannot be reached; the call will start when the link returns.</source>
            <translation>无法连接中心平台；网络恢复后通话将开始。</translation>
        </message>
        <message>
            <source>The central platform did not open the call.</source>
            <translation>中心平台未能开启通话。</translation>
        </message>
        <message>
            <source>The central platform cannot be reached; retrying when the link returns.</source>
            <translation>无法连接中心平台；网络恢复后将重试。</translation>
        </message>
        <message>
            <source>The central platform failed; the call cannot start now.</source>
            <translation>中心平台出错，暂时无法开始通话。</translation>
        </message>
        <message>
            <source>The camera gives no video.</source>
            <translation>摄像头没有画面。</translation>
        </message>
        <message>
            <source>The microphone gives no sound.</source>
            <translation>麦克风没有声音。</translation>
        </message>
        <message>
            <source>The camera or microphone could not be opened; check that it is connected and not used by another program.</source>
            <translation>无法打开摄像头或麦克风；请检查设备是否已连接，且未被其他程序占用。</translation>
        </message>
        <message>
            <source>Use a headset for the call: this program does not cancel echo, so sound from the loudspeakers would reach the other side through the microphone.</source>
            <translation>通话时请使用耳机：本程序不做回声消除，扬声器的声音会经麦克风传给对方。</translation>
        </message>
        <message>
            <source>Video consult</source>
            <translation>视频会诊</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>时长</translation>
        </message>
        <message>
            <source>Taken part</source>
            <translation>参与者</translation>
        </message>
        <message>
            <source>Call quality</source>
            <translation>通话质量</translation>
        </message>
        <message>
            <source>No loudspeaker or headset was found; you will not hear the other side.</source>
            <translation>未找到扬声器或耳机，您将听不到对方的声音。</translation>
        </message>
        <message>
            <source>The loudspeaker or headset could not be opened; check that it is connected and not used by another program.</source>
            <translation>无法打开扬声器或耳机，请检查是否已连接，且未被其他程序占用。</translation>
        </message>
        <message>
            <source>Camera for calls: empty for the first one found (else the synthetic test picture), 'synthetic' for the test picture, or a device name.</source>
            <translation>通话使用的摄像头：留空则使用找到的第一个（没有则用合成测试画面），“synthetic”为测试画面，或填设备名称。</translation>
        </message>
        <message>
            <source>Microphone for calls: empty for the first one found (else a test tone), 'synthetic' for the test tone, or a device name.</source>
            <translation>通话使用的麦克风：留空则使用找到的第一个（没有则用测试音），“synthetic”为测试音，或填设备名称。</translation>
        </message>
        <message>
            <source>Loudspeaker or headset that plays the other side of a call: empty for the system's default.</source>
            <translation>播放通话对方声音的扬声器或耳机：留空则使用系统默认设备。</translation>
        </message>
        <message>
            <source>This workstation runs version %1; the central platform needs version %2 or newer. Install the update from %3.</source>
            <translation>本工作站的版本是 %1；中心平台需要 %2 或更新的版本。请从 %3 安装更新。</translation>
        </message>
        <message>
            <source>This workstation runs version %1; the central platform needs version %2 or newer. Ask the central platform's administrator for the update.</source>
            <translation>本工作站的版本是 %1；中心平台需要 %2 或更新的版本。请向中心平台管理员索取更新。</translation>
        </message>
        <message>
            <source>Give the backup folder as a full path.</source>
            <translation>请填写备份文件夹的完整路径。</translation>
        </message>
        <message>
            <source>That backup folder does not exist; connect the disk or create it.</source>
            <translation>该备份文件夹不存在：请连接磁盘或先创建它。</translation>
        </message>
        <message>
            <source>Choose a folder outside the profile, best on another disk.</source>
            <translation>请选择配置文件夹以外的文件夹，最好在另一块磁盘上。</translation>
        </message>
        <message>
            <source>No backup folder is chosen: choose one in the settings or with `clinic-app backups set --target FOLDER`.</source>
            <translation>尚未选择备份文件夹：请在设置中选择，或使用 `clinic-app backups set --target FOLDER`。</translation>
        </message>
        <message>
            <source>Settings are changed with `clinic-app backups set`.</source>
            <translation>设置请用 `clinic-app backups set` 更改。</translation>
        </message>
        <message>
            <source>The database copy in the backup does not hold what the profile held when it was taken. No backup file was left behind; try again, and run `clinic-app check`.</source>
            <translation>备份中的数据库副本与备份时档案中的内容不符。未留下任何备份文件；请重试，并运行 `clinic-app check`。</translation>
        </message>
        <message>
            <source>The copy of the record database failed its integrity check; the database itself is probably damaged (run `clinic-app check`). No copy was kept.</source>
            <translation>记录数据库的副本未通过完整性校验，数据库本身可能已损坏（请运行 `clinic-app check`）。未保留副本。</translation>
        </message>
        <message>
            <source>The key file keys.json is damaged (its checksum does not match). Restore it from a backup; the record database was not touched.</source>
            <translation>密钥文件 keys.json 已损坏（校验和不符）。请从备份恢复；记录数据库未被改动。</translation>
        </message>
        <message>
            <source>The key file keys.json is damaged and cannot be read. Restore it from a backup; the record database was not touched.</source>
            <translation>密钥文件 keys.json 已损坏，无法读取。请从备份恢复；记录数据库未被改动。</translation>
        </message>
        <message>
            <source>No profile here: the key file keys.json is missing.</source>
            <translation>此处没有档案：缺少密钥文件 keys.json。</translation>
        </message>
        <message>
            <source>The new profile must be a folder of its own, neither inside the damaged profile nor around it; nothing was changed.</source>
            <translation>新档案必须是单独的文件夹，既不能在已损坏的档案之内，也不能包含它；未做任何更改。</translation>
        </message>
        <message>
            <source>The first page of the record database (its table of contents) is damaged: no record can be found in it. Rebuild from the central platform (`clinic-app rebuild`) or restore a backup.</source>
            <translation>记录数据库的第一页（其目录）已损坏：无法在其中找到任何记录。请从中心平台重建（`clinic-app rebuild`）或恢复备份。</translation>
        </message>
        <message>
            <source>The record database cannot be read.</source>
            <translation>无法读取记录数据库。</translation>
        </message>
        <message>
            <source>The record database holds no tables although the profile's key file is beside it: the records are not there. Restore the newest backup (`clinic-app restore`); nothing was changed.</source>
            <translation>档案的密钥文件就在旁边，但记录数据库中没有任何表：记录不在那里。请恢复最新的备份（`clinic-app restore`）；未做任何更改。</translation>
        </message>
        <message>
            <source>The operation could not be completed.</source>
            <translation>操作未能完成。</translation>
        </message>
        <message>
            <source>The local record store refused the operation.</source>
            <translation>本地记录库拒绝了此操作。</translation>
        </message>
        <message>
            <source>The user name, passphrase or recovery key is wrong.</source>
            <translation>用户名、口令或恢复密钥错误。</translation>
        </message>
        <message>
            <source>Stored data is damaged; nothing was read from it. Restore the newest backup (`clinic-app restore`) or ask for help.</source>
            <translation>存储的数据已损坏，未从中读取任何内容。请恢复最新的备份（`clinic-app restore`）或寻求帮助。</translation>
        </message>
        <message>
            <source>The record, user or attachment does not exist.</source>
            <translation>该记录、用户或附件不存在。</translation>
        </message>
        <message>
            <source>This profile was written by a newer version of the program. Install the newer version.</source>
            <translation>此档案由更新版本的程序写入。请安装新版本。</translation>
        </message>
        <message>
            <source>The profile is in use by another program (the workstation may be open); close it and try again.</source>
            <translation>档案正被其他程序使用（工作站可能已打开）；请关闭后重试。</translation>
        </message>
        <message>
            <source>The disk or folder under the records failed an operation.</source>
            <translation>记录所在的磁盘或文件夹操作失败。</translation>
        </message>
        <message>
            <source>The disk is full. Free some space and try again.</source>
            <translation>磁盘已满。请释放一些空间后重试。</translation>
        </message>
        <message>
            <source>The disk is read-only (write-protected, or the system made it read-only after errors).</source>
            <translation>磁盘为只读（处于写保护状态，或系统在出错后将其设为只读）。</translation>
        </message>
        <message>
            <source>The disk, stick or network share is no longer there (removed or disconnected).</source>
            <translation>磁盘、U 盘或网络共享已不在（已拔出或断开）。</translation>
        </message>
        <message>
            <source>Permission denied: this user may not write there.</source>
            <translation>权限不足：此用户不能在该处写入。</translation>
        </message>
        <message>
            <source>The disk reported an input/output error; it may be failing.</source>
            <translation>磁盘报告了输入/输出错误，可能正在损坏。</translation>
        </message>
        <message>
            <source>The record database is damaged. Nothing was changed. Restore the newest backup (`clinic-app restore`) or ask for help; leave the profile folder as it is.</source>
            <translation>记录数据库已损坏。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。</translation>
        </message>
        <message>
            <source>The record database file was cut off. Nothing was changed. Restore the newest backup (`clinic-app restore`) or ask for help; leave the profile folder as it is.</source>
            <translation>记录数据库文件被截断。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。</translation>
        </message>
        <message>
            <source>The database's change log (records.db-wal) is damaged. Nothing was changed. Restore the newest backup (`clinic-app restore`) or ask for help; leave the profile folder as it is.</source>
            <translation>数据库的变更日志（records.db-wal）已损坏。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。</translation>
        </message>
        <message>
            <source>The record database is behind what was saved. It was not opened, so nothing more was changed. Restore the newest backup (`clinic-app restore`), or copy the profile again with the program closed on the PC it came from; the files were left as they are.</source>
            <translation>记录数据库落后于已保存的内容。档案未被打开，因此没有再做任何更改。请恢复最新的备份（`clinic-app restore`），或在原电脑上关闭程序后重新复制档案；文件保持原样。</translation>
        </message>
        <message>
            <source>The record database is missing or empty although the profile's key file is there: the records are not there. Nothing was changed. Restore the newest backup (`clinic-app restore`) or ask for help; leave the profile folder as it is.</source>
            <translation>档案的密钥文件在，但记录数据库缺失或为空：记录不在那里。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。</translation>
        </message>
        <message>
            <source>An attachment file is damaged or missing; its content was not used.</source>
            <translation>附件文件已损坏或缺失，未使用其内容。</translation>
        </message>
        <message>
            <source>No profile here: run `clinic-app init` to create one.</source>
            <translation>此处没有档案：运行 `clinic-app init` 可创建一个。</translation>
        </message>
        <message>
            <source>The key file keys.json is missing: the records cannot be opened without it. Restore keys.json from a backup; do not run `clinic-app init` here.</source>
            <translation>密钥文件 keys.json 缺失：没有它无法打开记录。请从备份恢复 keys.json；不要在此运行 `clinic-app init`。</translation>
        </message>
        <message>
            <source>The key file keys.json is damaged or does not belong to this record database. Restore it from a backup; the record database was not touched.</source>
            <translation>密钥文件 keys.json 已损坏，或不属于此记录数据库。请从备份恢复；记录数据库未被改动。</translation>
        </message>
        <message>
            <source>The record database cannot be read with this profile's key: it was replaced by another database, or the key file belongs to another profile.</source>
            <translation>无法用此档案的密钥读取记录数据库：它已被另一个数据库替换，或密钥文件属于另一个档案。</translation>
        </message>
        <message>
            <source>The command was not given correctly.</source>
            <translation>命令的用法不正确。</translation>
        </message>
        <message>
            <source>The window cannot open here: there is no display, or system libraries are missing.</source>
            <translation>无法在此打开窗口：没有显示器，或缺少系统库。</translation>
        </message>
        <message>
            <source>No backup folder is chosen: automatic backups are off.</source>
            <translation>尚未选择备份文件夹：自动备份已关闭。</translation>
        </message>
        <message>
            <source>A backup just written could not be read back as complete and intact.</source>
            <translation>刚写入的备份无法完整无误地读回。</translation>
        </message>
        <message>
            <source>The disk is full: {folder} has {free} free (while {doing}). {outcome} Free some space and try again.</source>
            <translation>磁盘已满：{folder} 仅剩 {free} 可用（{doing}时）。{outcome}请释放一些空间后重试。</translation>
        </message>
        <message>
            <source>The disk is full: {folder} has {free} free, about {needed} more is needed (while {doing}). {outcome} Free some space and try again.</source>
            <translation>磁盘已满：{folder} 仅剩 {free} 可用，大约还需要 {needed}（{doing}时）。{outcome}请释放一些空间后重试。</translation>
        </message>
        <message>
            <source>The disk holding {folder} is read-only (write-protected, or the system made it read-only after errors) while {doing}. {outcome}</source>
            <translation>{doing}时，{folder} 所在的磁盘为只读（处于写保护状态，或系统在出错后将其设为只读）。{outcome}</translation>
        </message>
        <message>
            <source>Permission denied for {folder} while {doing}: this user may not write there. {outcome}</source>
            <translation>{doing}时，对 {folder} 的权限不足：此用户不能在该处写入。{outcome}</translation>
        </message>
        <message>
            <source>The record database in {folder} cannot be opened for writing by this user while {doing}. {outcome}</source>
            <translation>{doing}时，此用户无法以写入方式打开 {folder} 中的记录数据库。{outcome}</translation>
        </message>
        <message>
            <source>The disk or folder {folder} is no longer there (removed or disconnected) while {doing}. {outcome}</source>
            <translation>{doing}时，磁盘或文件夹 {folder} 已不在（已拔出或断开）。{outcome}</translation>
        </message>
        <message>
            <source>The disk holding {folder} reported an input/output error while {doing}; it may be failing. {outcome}</source>
            <translation>{doing}时，{folder} 所在的磁盘报告了输入/输出错误，可能正在损坏。{outcome}</translation>
        </message>
        <message>
            <source>The profile is in use by another program (the workstation may be open); close it and try again. {outcome}</source>
            <translation>档案正被其他程序使用（工作站可能已打开）；请关闭后重试。{outcome}</translation>
        </message>
        <message>
            <source>The record database {name} is empty (0 bytes) although the profile's key file is beside it: the records are not there. {recover}</source>
            <translation>记录数据库 {name} 为空（0 字节），但档案的密钥文件就在旁边：记录不在那里。{recover}</translation>
        </message>
        <message>
            <source>The record database in {folder} is empty (0 bytes) although the key file is beside it: the records are not there. {recover}</source>
            <translation>{folder} 中的记录数据库为空（0 字节），但密钥文件就在旁边：记录不在那里。{recover}</translation>
        </message>
        <message>
            <source>The record database {name} is missing from {folder}. {recover}</source>
            <translation>{folder} 中缺少记录数据库 {name}。{recover}</translation>
        </message>
        <message>
            <source>The record database cannot be read with this profile's key: it was replaced by another database, or the key file belongs to another profile. {recover}</source>
            <translation>无法用此档案的密钥读取记录数据库：它已被另一个数据库替换，或密钥文件属于另一个档案。{recover}</translation>
        </message>
        <message>
            <source>The record database file was cut off: it holds {pages} of {total} pages{partial}. {recover}</source>
            <translation>记录数据库文件被截断：本应有 {total} 页，只剩 {pages} 页{partial}。{recover}</translation>
        </message>
        <message>
            <source>The record database file was cut off: it holds {pages} pages{partial}. {recover}</source>
            <translation>记录数据库文件被截断：只剩 {pages} 页{partial}。{recover}</translation>
        </message>
        <message>
            <source>The record database is damaged: {bad} of {total} pages fail their check (page {pages}). {recover}</source>
            <translation>记录数据库已损坏：{total} 页中有 {bad} 页未通过校验（页号：{pages}）。{recover}</translation>
        </message>
        <message>
            <source>The record database cannot be read ({detail}). {recover}</source>
            <translation>无法读取记录数据库（{detail}）。{recover}</translation>
        </message>
        <message>
            <source>The record database failed its check after an unclean shutdown ({detail}). {recover}</source>
            <translation>非正常关机后，记录数据库未通过检查（{detail}）。{recover}</translation>
        </message>
        <message>
            <source>The database's change log (records.db-wal) is damaged {where}{lost}. {recover}</source>
            <translation>数据库的变更日志（records.db-wal）在{where}损坏{lost}。{recover}</translation>
        </message>
        <message>
            <source>The database's change log (records.db-wal) is damaged {where}{lost}: {what}. {recover}</source>
            <translation>数据库的变更日志（records.db-wal）在{where}损坏{lost}：{what}。{recover}</translation>
        </message>
        <message>
            <source>The record database is behind what was saved: {what}. It is an older copy, a copy taken while the program was running, or its change log was lost. {recover}</source>
            <translation>记录数据库落后于已保存的内容：{what}。它是旧的副本、程序运行时复制的副本，或其变更日志已丢失。{recover}</translation>
        </message>
        <message>
            <source>The key file keys.json is missing from {folder}, but the record database is there: the records cannot be opened without it. Restore keys.json from a backup (or the whole profile with `clinic-app restore`); do not run `clinic-app init` here.</source>
            <translation>{folder} 中缺少密钥文件 keys.json，但记录数据库在那里：没有密钥文件无法打开记录。请从备份恢复 keys.json（或用 `clinic-app restore` 恢复整个档案）；不要在此运行 `clinic-app init`。</translation>
        </message>
        <message>
            <source>No profile at {folder}: run `clinic-app init` to create one.</source>
            <translation>{folder} 处没有档案：运行 `clinic-app init` 可创建一个。</translation>
        </message>
        <message>
            <source>reading the records</source>
            <translation>读取记录</translation>
        </message>
        <message>
            <source>saving the change</source>
            <translation>保存更改</translation>
        </message>
        <message>
            <source>saving the attachment</source>
            <translation>保存附件</translation>
        </message>
        <message>
            <source>storing the attachment</source>
            <translation>存储附件</translation>
        </message>
        <message>
            <source>reading an attachment</source>
            <translation>读取附件</translation>
        </message>
        <message>
            <source>writing the attachment out</source>
            <translation>导出附件</translation>
        </message>
        <message>
            <source>opening the attachment folder</source>
            <translation>打开附件文件夹</translation>
        </message>
        <message>
            <source>reading the file to attach</source>
            <translation>读取要添加的文件</translation>
        </message>
        <message>
            <source>reading the key file</source>
            <translation>读取密钥文件</translation>
        </message>
        <message>
            <source>changing the key file</source>
            <translation>更改密钥文件</translation>
        </message>
        <message>
            <source>recording the key change</source>
            <translation>记录密钥更改</translation>
        </message>
        <message>
            <source>opening the record database</source>
            <translation>打开记录数据库</translation>
        </message>
        <message>
            <source>reading the record database</source>
            <translation>读取记录数据库</translation>
        </message>
        <message>
            <source>creating the record database</source>
            <translation>创建记录数据库</translation>
        </message>
        <message>
            <source>opening the profile after an unclean shutdown</source>
            <translation>在非正常关机后打开档案</translation>
        </message>
        <message>
            <source>creating the profile in {folder}</source>
            <translation>在 {folder} 中创建档案</translation>
        </message>
        <message>
            <source>creating the new profile in {folder}</source>
            <translation>在 {folder} 中创建新档案</translation>
        </message>
        <message>
            <source>writing the backup to {folder}</source>
            <translation>向 {folder} 写入备份</translation>
        </message>
        <message>
            <source>writing a copy of the record database to {folder}</source>
            <translation>向 {folder} 写入记录数据库的副本</translation>
        </message>
        <message>
            <source>copying the damaged database to read it</source>
            <translation>复制已损坏的数据库以便读取</translation>
        </message>
        <message>
            <source>writing the salvaged records</source>
            <translation>写入抢救出的记录</translation>
        </message>
        <message>
            <source>reading the new backup back</source>
            <translation>读回新备份</translation>
        </message>
        <message>
            <source>saving the backup settings</source>
            <translation>保存备份设置</translation>
        </message>
        <message>
            <source>running `{command}`</source>
            <translation>运行 `{command}`</translation>
        </message>
        <message>
            <source>Nothing was saved.</source>
            <translation>未保存任何内容。</translation>
        </message>
        <message>
            <source>Nothing was changed.</source>
            <translation>未做任何更改。</translation>
        </message>
        <message>
            <source>No file was left behind.</source>
            <translation>未留下任何文件。</translation>
        </message>
        <message>
            <source>No backup file was left behind.</source>
            <translation>未留下任何备份文件。</translation>
        </message>
        <message>
            <source>No backup was made.</source>
            <translation>未生成备份。</translation>
        </message>
        <message>
            <source>No copy was kept.</source>
            <translation>未保留副本。</translation>
        </message>
        <message>
            <source>The key file was not changed.</source>
            <translation>密钥文件未被更改。</translation>
        </message>
        <message>
            <source>The new backup was removed; nothing else was changed.</source>
            <translation>新备份已删除；其他内容均未更改。</translation>
        </message>
        <message>
            <source>Nothing was changed: {unchanged}.</source>
            <translation>未做任何更改：{unchanged}。</translation>
        </message>
        <message>
            <source>the passphrase is unchanged</source>
            <translation>口令保持不变</translation>
        </message>
        <message>
            <source>the user was not added</source>
            <translation>未添加该用户</translation>
        </message>
        <message>
            <source>the user was not removed</source>
            <translation>未删除该用户</translation>
        </message>
        <message>
            <source>the old recovery key still works</source>
            <translation>旧的恢复密钥仍然有效</translation>
        </message>
        <message>
            <source>Nothing was changed. Restore the newest backup (`clinic-app restore`) or ask for help; leave the profile folder as it is.</source>
            <translation>未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。</translation>
        </message>
        <message>
            <source>It was not opened, so nothing more was changed. Restore the newest backup (`clinic-app restore`), or copy the profile again with the program closed on the PC it came from; the files were left as they are.</source>
            <translation>档案未被打开，因此没有再做任何更改。请恢复最新的备份（`clinic-app restore`），或在原电脑上关闭程序后重新复制档案；文件保持原样。</translation>
        </message>
        <message>
            <source>at frame {frame}</source>
            <translation>第 {frame} 帧处</translation>
        </message>
        <message>
            <source>in its header</source>
            <translation>文件头处</translation>
        </message>
        <message>
            <source>; {lost} committed changes after it cannot be read</source>
            <translation>；其后已提交的 {lost} 项更改无法读取</translation>
        </message>
        <message>
            <source> and a partial page</source>
            <translation>，外加不完整的一页</translation>
        </message>
        <message>
            <source>{shown} and {more} more</source>
            <translation>{shown}，另有 {more} 页</translation>
        </message>
        <message>
            <source>the last {missing} saved changes (up to {when}) are missing</source>
            <translation>最近已保存的 {missing} 项更改（截至 {when}）缺失</translation>
        </message>
        <message>
            <source>its audit log does not end where it did</source>
            <translation>其审计日志的结尾与原先不同</translation>
        </message>
        <message>
            <location filename="../errors.py" line="141" />
            <source>an unknown amount</source>
            <translation>未知大小的空间</translation>
        </message>
        <message>
            <location filename="../errors.py" line="144" />
            <source>{n} bytes</source>
            <translation>{n} 字节</translation>
        </message>
        <message>
            <source>The central platform is having trouble; it will be retried.</source>
            <translation>中心平台出现问题；稍后将重试。</translation>
        </message>
        <message>
            <source>That change is no longer in error (it was sent, fixed or discarded).</source>
            <translation>该更改已不再处于出错状态（已发送、已修改或已放弃）。</translation>
        </message>
        <message>
            <source>Another change of this record is being sent or waits for a decision; try again after the next sync.</source>
            <translation>该记录的另一项更改正在发送或等待处理；请在下次同步后再试。</translation>
        </message>
        <message>
            <source>The central platform cannot be reached (ConnectionTimeoutError).</source>
            <translation>无法连接中心平台（连接超时）。</translation>
        </message>
        <message>
            <source>Pass --user NAME: the user whose passphrase opens the profile.</source>
            <translation>请加上 --user 用户名：指定其口令可打开该档案的用户。</translation>
        </message>
        <message>
            <source>The damaged profile's sync account cannot be read: ask the administrator for a new one-time enrollment code and pass it with --code. Nothing was changed.</source>
            <translation>无法读取受损档案中的同步账户：请向管理员索取新的一次性注册码，并用 --code 传入。未做任何更改。</translation>
        </message>
        <message>
            <source>Give the central platform's address (--server URL).</source>
            <translation>请给出中心平台的地址（--server 网址）。</translation>
        </message>
        <message>
            <source>Sign in again: the token expired.</source>
            <translation>请重新登录：登录凭证已过期。</translation>
        </message>
        <message>
            <source>A profile (or what is left of one) is in that folder; pass --replace to restore over it (it is moved aside, never deleted).</source>
            <translation>该文件夹中已有一个档案（或其残余）；如要用备份覆盖恢复，请加上 --replace（原档案会被移到一旁，绝不删除）。</translation>
        </message>
        <message>
            <source>Sign-in with this user name is locked after too many failed attempts. Wait until the lock ends, or ask the administrator to unlock it.</source>
            <translation>此用户名因多次登录失败已被锁定。请等待锁定结束，或请管理员解锁。</translation>
        </message>
        <message>
            <source>Too many attempts: wait a little, then try again.</source>
            <translation>尝试次数过多：请稍候再试。</translation>
        </message>
        <message>
            <source>This workstation's connection to the central platform has ended: enroll it again with a new code from the administrator.</source>
            <translation>此工作站与中心平台的连接已结束：请向管理员索取新的注册码并重新注册。</translation>
        </message>
        <message>
            <source>Your session with the central platform has ended: sign in again.</source>
            <translation>您与中心平台的会话已结束：请重新登录。</translation>
        </message>
        <message>
            <source>Text size on every screen: 0 standard, 1 large, 2 larger, 3 largest.</source>
            <translation>所有页面的文字大小：0 标准，1 大，2 较大，3 最大。</translation>
        </message>
        <message>
            <source>push.changes repeats a change_id.</source>
            <translation>推送的变更中有重复的变更编号（change_id）。</translation>
        </message>
        <message>
            <source>The central platform cannot be reached.</source>
            <translation>无法连接中心平台。</translation>
        </message>
        <message>
            <source>The central platform failed; try again later.</source>
            <translation>中心平台出错，请稍后再试。</translation>
        </message>
        <message>
            <source>The resource holds a NUL character.</source>
            <translation>该记录包含空字符（NUL）。</translation>
        </message>
        <message>
            <source>The resource holds text or numbers that cannot be stored.</source>
            <translation>该记录包含无法保存的文字或数字。</translation>
        </message>
        <message>
            <source>The resource is nested too deeply.</source>
            <translation>该记录的嵌套层级过深。</translation>
        </message>
        <message>
            <source>The resource type is not known.</source>
            <translation>未知的记录类型。</translation>
        </message>
        <message>
            <source>The change holds values that cannot be stored.</source>
            <translation>该变更包含无法保存的值。</translation>
        </message>
        <message>
            <source>Nested too deeply.</source>
            <translation>嵌套层级过深。</translation>
        </message>
        <message>
            <source>The resource is not a valid %1 (%2).</source>
            <translation>该记录不是有效的 %1（%2）。</translation>
        </message>
        <message>
            <source>An id in the resource is not a FHIR id (1 to 64 letters, digits, '-' or '.').</source>
            <translation>记录中的编号不是有效的 FHIR 编号（1 到 64 个字母、数字、“-”或“.”）。</translation>
        </message>
        <message>
            <source>Allergies are recorded: resolve them before stating none.</source>
            <translation>已记录过敏：请先将其标记为已解决，再记录无已知过敏。</translation>
        </message>
        <message>
            <source>The visit is of another patient.</source>
            <translation>该就诊属于另一位患者。</translation>
        </message>
        <message>
            <source>This problem is already on the list.</source>
            <translation>该问题已在列表中。</translation>
        </message>
        <message>
            <source>Enter the substance or drug class.</source>
            <translation>请输入过敏物质或药物类别。</translation>
        </message>
        <message>
            <source>Unknown allergy category.</source>
            <translation>未知的过敏类别。</translation>
        </message>
        <message>
            <source>Severity is mild, moderate or severe.</source>
            <translation>严重程度应为轻度、中度或重度。</translation>
        </message>
        <message>
            <source>Choose a diagnosis from the ICD-10 list.</source>
            <translation>请从 ICD-10 列表中选择诊断。</translation>
        </message>
        <message>
            <source>The onset cannot be after today.</source>
            <translation>起病日期不能晚于今天。</translation>
        </message>
        <message>
            <source>A problem cannot resolve before its onset.</source>
            <translation>问题的解决日期不能早于起病日期。</translation>
        </message>
        <message>
            <source>Give the reason the medicine is stopped.</source>
            <translation>请填写停药原因。</translation>
        </message>
        <message>
            <source>Enter the medication.</source>
            <translation>请输入药品。</translation>
        </message>
        <message>
            <source>Only a prescription or a medicine taken can stop.</source>
            <translation>只有处方或在用药品可以停用。</translation>
        </message>
        <message>
            <source>That medicine is not in the formulary.</source>
            <translation>该药品不在药品目录中。</translation>
        </message>
        <message>
            <source>Choose what to print.</source>
            <translation>请选择要打印的内容。</translation>
        </message>
        <message>
            <source>That record belongs to no patient.</source>
            <translation>该记录不属于任何患者。</translation>
        </message>
        <message>
            <source>That request is not a referral.</source>
            <translation>该申请不是转诊单。</translation>
        </message>
        <message>
            <source>Print on A4 or A5.</source>
            <translation>请选择 A4 或 A5 纸张打印。</translation>
        </message>
        <message>
            <source>No Chinese TrueType font was found to print letters with; install the fonts-wqy-microhei package (or reinstall the workstation).</source>
            <translation>未找到可用于打印文书的中文 TrueType 字体；请安装 fonts-wqy-microhei 软件包（或重新安装工作站）。</translation>
        </message>
        <message>
            <source>query save needs --json SPEC (or --json @FILE).</source>
            <translation>query save 需要 --json SPEC（或 --json @文件）。</translation>
        </message>
        <message>
            <source>query run takes a saved query's NAME or --json SPEC (one of them).</source>
            <translation>query run 需要已保存查询的名称或 --json SPEC（二者选一）。</translation>
        </message>
        <message>
            <source>query run needs --format csv|xlsx|txt and --out PATH.</source>
            <translation>query run 需要 --format csv|xlsx|txt 和 --out 路径。</translation>
        </message>
        <message>
            <source>Give the query a name.</source>
            <translation>请为查询命名。</translation>
        </message>
        <message>
            <source>The name is too long (at most 80 characters).</source>
            <translation>名称过长（最多 80 个字符）。</translation>
        </message>
        <message>
            <source>No saved query has this name.</source>
            <translation>没有此名称的已保存查询。</translation>
        </message>
        <message>
            <source>Choose en or zh_CN.</source>
            <translation>请选择 en 或 zh_CN。</translation>
        </message>
        <message>
            <source>Choose csv, xlsx or txt.</source>
            <translation>请选择 csv、xlsx 或 txt。</translation>
        </message>
        <message>
            <source>Answer yes or no (true or false).</source>
            <translation>请回答是或否（true 或 false）。</translation>
        </message>
        <message>
            <source>This part of the condition is missing.</source>
            <translation>条件缺少这一部分。</translation>
        </message>
        <message>
            <source>Enter a whole number of days, 1 or more.</source>
            <translation>请输入天数（不小于 1 的整数）。</translation>
        </message>
        <message>
            <source>This question is not part of the form.</source>
            <translation>表单中没有这个问题。</translation>
        </message>
        <message>
            <source>A condition is an object with a kind (or a group).</source>
            <translation>条件须为带有类型的对象（或条件组）。</translation>
        </message>
        <message>
            <source>Groups are nested too deeply.</source>
            <translation>条件组嵌套层数过多。</translation>
        </message>
        <message>
            <source>A group needs conditions.</source>
            <translation>条件组至少需要一个条件。</translation>
        </message>
        <message>
            <source>A query is an object with match and conditions.</source>
            <translation>查询须为包含 match 和 conditions 的对象。</translation>
        </message>
        <message>
            <source>Enter an ICD-10 code or its start (I10, E11).</source>
            <translation>请输入 ICD-10 编码或其开头（如 I10、E11）。</translation>
        </message>
        <message>
            <source>The query is not valid JSON.</source>
            <translation>查询不是有效的 JSON。</translation>
        </message>
        <message>
            <source>Write the message.</source>
            <translation>请填写消息。</translation>
        </message>
        <message>
            <source>The message is too long (4000 characters at most).</source>
            <translation>消息过长（最多 4000 个字符）。</translation>
        </message>
        <message>
            <source>The profile's key file cannot be read, so the recovery key cannot open it: rebuild with your passphrase (it protects the new key file). Nothing was changed.</source>
            <translation>无法读取本档案的密钥文件，因此恢复密钥无法打开它：请用您的密码重建（新密钥文件将由它保护）。没有做任何更改。</translation>
        </message>
        <message>
            <source>Whether calls are made with a headset (1: echo cancellation off), as last chosen in the pre-call check or the consult room.</source>
            <translation>通话时是否使用耳机（1：关闭回声消除），按通话前检查或会诊室中最近一次的选择。</translation>
        </message>
        <message>
            <source>Hemoglobin A1c/Hemoglobin.total in Blood</source>
            <translation>糖化血红蛋白（%）</translation>
        </message>
        <message>
            <source>Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol</source>
            <translation>糖化血红蛋白（IFCC，mmol/mol）</translation>
        </message>
        <message>
            <source>--export takes a file ending in .xlsx, .csv or .txt.</source>
            <translation>--export 需要以 .xlsx、.csv 或 .txt 结尾的文件。</translation>
        </message>
        <message>
            <source>The folder for --export does not exist.</source>
            <translation>--export 的文件夹不存在。</translation>
        </message>
        <message>
            <source>Choose hypertension or diabetes.</source>
            <translation>请选择 hypertension（高血压）或 diabetes（糖尿病）。</translation>
        </message>
        <message>
            <source>The clinic's records could not be rebuilt from the central platform; nothing was kept. Check the connection and try again.</source>
            <translation>未能从中心平台重建本诊所的记录；未保留任何内容。请检查网络连接后重试。</translation>
        </message>
    </context>
    <context>
        <name>errors</name>
        <message>
            <location filename="../errors.py" line="35" />
            <source>Problem</source>
            <translation>问题</translation>
        </message>
        <message>
            <location filename="../errors.py" line="43" />
            <source>An unexpected problem occurred. Your saved records are safe. If it happens again, copy the details for support.</source>
            <translation>发生意外问题。已保存的记录是安全的。如再次发生，请复制详细信息提供给技术支持。</translation>
        </message>
        <message>
            <location filename="../errors.py" line="51" />
            <source>Copy details</source>
            <translation>复制详细信息</translation>
        </message>
    </context>
    <context>
        <name>pages</name>
        <message>
            <location filename="../desk_pages.py" line="24" />
            <source>Schedule</source>
            <translation>日程</translation>
        </message>
        <message>
            <location filename="../desk_pages.py" line="25" />
            <source>Consult desk</source>
            <translation>会诊台</translation>
        </message>
        <message>
            <location filename="../desk_pages.py" line="28" />
            <source>Sync conflicts</source>
            <translation>同步冲突</translation>
        </message>
        <message>
            <location filename="../desk_pages.py" line="31" />
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <location filename="../pages.py" line="82" />
            <source>Patients</source>
            <translation>患者</translation>
        </message>
        <message>
            <location filename="../pages.py" line="85" />
            <source>Chart</source>
            <translation>病历</translation>
        </message>
        <message>
            <location filename="../pages.py" line="89" />
            <source>Chronic disease registers</source>
            <translation>慢病登记</translation>
        </message>
        <message>
            <location filename="../pages.py" line="92" />
            <source>Queries</source>
            <translation>查询</translation>
        </message>
        <message>
            <location filename="../pages.py" line="98" />
            <source>Changes in error</source>
            <translation>出错的更改</translation>
        </message>
    </context>
    <context>
        <name>rebuild_runner</name>
        <message>
            <location filename="../rebuild_runner.py" line="36" />
            <source>Reading the changes never sent from the records on this workstation…</source>
            <translation>正在从本工作站的记录中读取从未发送的更改…</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="37" />
            <source>Connecting to the central platform…</source>
            <translation>正在连接中心平台…</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="38" />
            <source>Receiving the clinic's records from the central platform…</source>
            <translation>正在从中心平台接收本诊所的记录…</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="39" />
            <source>Putting back the changes never sent…</source>
            <translation>正在放回从未发送的更改…</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="40" />
            <source>Putting the rebuilt records in place…</source>
            <translation>正在将重建的记录放到原位…</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="42" />
            <source>Rebuilding…</source>
            <translation>正在重建…</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="66" />
            <source>The records were rebuilt from the central platform: %1 records received.</source>
            <translation>已从中心平台重建记录：收到 %1 条记录。</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="72" />
            <source>Changes never sent: %1 put back (they go with the next sync), %2 were already on the central platform, %3 could not be read.</source>
            <translation>从未发送的更改：%1 项已放回（下次同步时发送），%2 项已在中心平台上，%3 项无法读取。</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="81" />
            <location filename="../restore_runner.py" line="54" />
            <source>The records as they were are kept, unchanged, in %1.</source>
            <translation>原来的记录已原样保存在 %1 中。</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="87" />
            <source>A new recovery key was made (write it down, it is shown only this once): %1</source>
            <translation>已生成新的恢复密钥（请抄下来，它只显示这一次）：%1</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="90" />
            <source>Sign in again to open the rebuilt records.</source>
            <translation>请重新登录以打开重建后的记录。</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="114" />
            <source>Rebuilding from the central platform</source>
            <translation>正在从中心平台重建</translation>
        </message>
        <message>
            <location filename="../rebuild_runner.py" line="138" />
            <source>Records rebuilt</source>
            <translation>记录已重建</translation>
        </message>
    </context>
    <context>
        <name>restore_runner</name>
        <message>
            <location filename="../restore_runner.py" line="48" />
            <source>The backup %1 was restored: %2 records.</source>
            <translation>已恢复备份 %1：%2 条记录。</translation>
        </message>
        <message>
            <location filename="../restore_runner.py" line="64" />
            <source>%1 changes made after the backup are not in it (%2 of them were never sent to the central platform).</source>
            <translation>备份之后的 %1 项更改不在其中（其中 %2 项从未发送到中心平台）。</translation>
        </message>
        <message>
            <location filename="../restore_runner.py" line="71" />
            <source>Changes made after the backup may be missing from it.</source>
            <translation>备份之后的更改可能不在其中。</translation>
        </message>
        <message>
            <location filename="../restore_runner.py" line="72" />
            <source>Sign in again to open the restored records.</source>
            <translation>请重新登录以打开恢复后的记录。</translation>
        </message>
        <message>
            <location filename="../restore_runner.py" line="89" />
            <source>Restoring</source>
            <translation>正在恢复</translation>
        </message>
        <message>
            <location filename="../restore_runner.py" line="91" />
            <source>Restoring the backup %1: checking it, then putting it in place…</source>
            <translation>正在恢复备份 %1：先检查，再放到原位…</translation>
        </message>
        <message>
            <location filename="../restore_runner.py" line="113" />
            <source>Backup restored</source>
            <translation>备份已恢复</translation>
        </message>
    </context>
    <context>
        <name>room</name>
        <message>
            <location filename="../room_shots.py" line="40" />
            <source>This workstation is not connected to the central platform, so a live call is not possible. The consult itself still goes to the specialist when the records sync.</source>
            <translation>本工作站尚未连接中心平台，无法进行实时通话。会诊申请本身会在病历同步时送达专科医生。</translation>
        </message>
    </context>
    <context>
        <name>sync_bar</name>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="68" />
            <source>%n s</source>
            <translation>
                <numerusform>%n 秒</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../sync_bar.py" line="69" />
            <source>%n min</source>
            <translation>
                <numerusform>%n 分钟</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="75" />
            <source>key file</source>
            <translation>密钥文件</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="76" />
            <location filename="../sync_bar.py" line="236" />
            <location filename="../sync_bar.py" line="251" />
            <source>record database</source>
            <translation>病历数据库</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="77" />
            <source>change log</source>
            <translation>变更日志</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="78" />
            <source>high-water mark</source>
            <translation>高水位标记</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="79" />
            <source>audit log</source>
            <translation>审计日志</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="80" />
            <source>attachments</source>
            <translation>附件</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="89" />
            <source>What to do:</source>
            <translation>如何处理：</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="90" />
            <source>1. For the details, run: clinic-app check --full</source>
            <translation>1. 查看详情，请运行：clinic-app check --full</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="91" />
            <source>2. Restore the newest backup (clinic-app restore, or ask for help).</source>
            <translation>2. 恢复最新的备份（clinic-app restore，或请人协助）。</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="93" />
            <source>3. If there is no good backup, copy every readable record into a new profile: clinic-app salvage --out NEW-FOLDER</source>
            <translation>3. 如果没有有效备份，请将所有可读的病历复制到新的档案中：clinic-app salvage --out 新文件夹</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="96" />
            <source>Leave the profile folder as it is until then; do not copy over it.</source>
            <translation>在此之前请保持档案文件夹原样，不要用其他文件覆盖它。</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="104" />
            <source>Receiving %1 of %2</source>
            <translation>正在接收 %1 / %2</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="104" />
            <source>Sending %1 of %2</source>
            <translation>正在发送 %1 / %2</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="107" />
            <source>%1/s</source>
            <translation>%1/秒</translation>
        </message>
        <message>
            <location filename="../sync_bar.py" line="109" />
            <source>about %1 left</source>
            <translation>约剩 %1</translation>
        </message>
    </context>
    <context>
        <name>widgets</name>
        <message>
            <location filename="../widgets.py" line="144" />
            <source>Unsaved input</source>
            <translation>未保存的内容</translation>
        </message>
        <message>
            <location filename="../widgets.py" line="145" />
            <source>Save what you entered before closing?</source>
            <translation>关闭前保存已输入的内容吗？</translation>
        </message>
        <message>
            <location filename="../widgets.py" line="146" />
            <source>If you discard it, what you entered in this form is lost.</source>
            <translation>如果放弃，此表单中输入的内容将会丢失。</translation>
        </message>
        <message>
            <location filename="../widgets.py" line="147" />
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <location filename="../widgets.py" line="148" />
            <source>Discard</source>
            <translation>放弃</translation>
        </message>
        <message>
            <location filename="../widgets.py" line="149" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
</TS>
