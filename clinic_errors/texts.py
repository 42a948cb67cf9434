# ruff: noqa: E501  (translation table: one message per line)
"""The sentences of the product's errors by their stable code, in English and Simplified Chinese.

One table for every side that says an error to a person: the desktop translates an error by
its ``key`` (``ui/error_texts.py`` fills values in, ``ui/i18n/core_messages.py`` puts the
Chinese into ``clinic_zh_CN.ts``), the specialist's web desk (``central/desk/terms.py``) says
the same sentences for the same codes. Like the rest of ``clinic_errors`` it imports nothing of
the project, so the central platform loads it without the store or Qt.

* ``TEMPLATES[key]`` (``key`` is ``code`` or ``code.variant``) is the English sentence, with
  ``{name}`` where a value of the error's ``params`` goes; every code has one without variant
  (``SENTENCES``), which needs no values.
* ``PHRASES`` are the English phrases the core gives as values (what was being done, what
  became of the data, how to recover), some with values of their own (``{folder}``).
* ``ZH`` holds the Simplified Chinese of every template and phrase, keyed by the English.
"""

from __future__ import annotations

# What to do, at the end of the sentences of a damaged or rolled-back store.
RECOVER = (
    "Nothing was changed. Restore the newest backup (`clinic-app restore`) or ask for help;"
    " leave the profile folder as it is."
)
RECOVER_BEHIND = (
    "It was not opened, so nothing more was changed. Restore the newest backup"
    " (`clinic-app restore`), or copy the profile again with the program closed on the PC it"
    " came from; the files were left as they are."
)

TEMPLATES: dict[str, str] = {
    # --- every code, without values --------------------------------------------------------
    "ERROR": "The operation could not be completed.",
    "STORE": "The local record store refused the operation.",
    "WRONG_PASSPHRASE": "The user name, passphrase or recovery key is wrong.",
    "DAMAGED": "Stored data is damaged; nothing was read from it. Restore the newest backup (`clinic-app restore`) or ask for help.",
    "LOCKED": "The workstation is locked.",
    "NOT_FOUND": "The record, user or attachment does not exist.",
    "SCHEMA_TOO_NEW": "This profile was written by a newer version of the program. Install the newer version.",
    "PROFILE_EXISTS": "A profile already exists in that folder.",
    "PROFILE_BUSY": "The profile is in use by another program (the workstation may be open); close it and try again.",
    "STORAGE": "The disk or folder under the records failed an operation.",
    "DISK_FULL": "The disk is full. Free some space and try again.",
    "READ_ONLY": "The disk is read-only (write-protected, or the system made it read-only after errors).",
    "MEDIUM_REMOVED": "The disk, stick or network share is no longer there (removed or disconnected).",
    "PERMISSION_DENIED": "Permission denied: this user may not write there.",
    "IO_ERROR": "The disk reported an input/output error; it may be failing.",
    "REBUILD_FAILED": "The clinic's records could not be rebuilt from the central platform; nothing was kept. Check the connection and try again.",
    # The central platform's refusals of a sign-in or a session (central/api.py, the sync
    # client's SessionEnded): its codes are lower case; its own sentences carry values.
    "account_locked": "Sign-in with this user name is locked after too many failed attempts. "
    "Wait until the lock ends, or ask the administrator to unlock it.",
    "too_many_attempts": "Too many attempts: wait a little, then try again.",
    "reenroll": "This workstation's connection to the central platform has ended: enroll it "
    "again with a new code from the administrator.",
    "sign_in_again": "Your session with the central platform has ended: sign in again.",
    "token_expired": "Sign in again: the token expired.",
    "DB_DAMAGED": "The record database is damaged. " + RECOVER,
    "DB_TRUNCATED": "The record database file was cut off. " + RECOVER,
    "LOG_DAMAGED": "The database's change log (records.db-wal) is damaged. " + RECOVER,
    "STORE_BEHIND": "The record database is behind what was saved. " + RECOVER_BEHIND,
    "DB_MISSING": "The record database is missing or empty although the profile's key file is there: the records are not there. "
    + RECOVER,
    "ATTACHMENT_DAMAGED": "An attachment file is damaged or missing; its content was not used.",
    "NO_PROFILE": "No profile here: run `clinic-app init` to create one.",
    "KEYS_MISSING": "The key file keys.json is missing: the records cannot be opened without it. Restore keys.json from a backup; do not run `clinic-app init` here.",
    "KEYS_DAMAGED": "The key file keys.json is damaged or does not belong to this record database. Restore it from a backup; the record database was not touched.",
    "KEY_MISMATCH": "The record database cannot be read with this profile's key: it was replaced by another database, or the key file belongs to another profile.",
    # codes of clinic_app
    "USAGE": "The command was not given correctly.",
    "NO_DISPLAY": "The window cannot open here: there is no display, or system libraries are missing.",
    "BACKUPS_OFF": "No backup folder is chosen: automatic backups are off.",
    "BACKUP_UNVERIFIED": "A backup just written could not be read back as complete and intact.",
    # --- sentences with values ---------------------------------------------------------------
    "DISK_FULL.while": "The disk is full: {folder} has {free} free (while {doing}). {outcome} Free some space and try again.",
    "DISK_FULL.needed": "The disk is full: {folder} has {free} free, about {needed} more is needed (while {doing}). {outcome} Free some space and try again.",
    "READ_ONLY.while": "The disk holding {folder} is read-only (write-protected, or the system made it read-only after errors) while {doing}. {outcome}",
    "PERMISSION_DENIED.while": "Permission denied for {folder} while {doing}: this user may not write there. {outcome}",
    "PERMISSION_DENIED.database": "The record database in {folder} cannot be opened for writing by this user while {doing}. {outcome}",
    "MEDIUM_REMOVED.while": "The disk or folder {folder} is no longer there (removed or disconnected) while {doing}. {outcome}",
    "IO_ERROR.while": "The disk holding {folder} reported an input/output error while {doing}; it may be failing. {outcome}",
    "PROFILE_BUSY.in_use": "The profile is in use by another program (the workstation may be open); close it and try again. {outcome}",
    "DB_MISSING.empty": "The record database {name} is empty (0 bytes) although the profile's key file is beside it: the records are not there. {recover}",
    "DB_MISSING.empty_in": "The record database in {folder} is empty (0 bytes) although the key file is beside it: the records are not there. {recover}",
    "DB_MISSING.missing": "The record database {name} is missing from {folder}. {recover}",
    "KEY_MISMATCH.replaced": "The record database cannot be read with this profile's key: it was replaced by another database, or the key file belongs to another profile. {recover}",
    "DB_TRUNCATED.of": "The record database file was cut off: it holds {pages} of {total} pages{partial}. {recover}",
    "DB_TRUNCATED.count": "The record database file was cut off: it holds {pages} pages{partial}. {recover}",
    "DB_DAMAGED.pages": "The record database is damaged: {bad} of {total} pages fail their check (page {pages}). {recover}",
    "DB_DAMAGED.unreadable": "The record database cannot be read ({detail}). {recover}",
    "DB_DAMAGED.unclean": "The record database failed its check after an unclean shutdown ({detail}). {recover}",
    "LOG_DAMAGED.where": "The database's change log (records.db-wal) is damaged {where}{lost}. {recover}",
    "LOG_DAMAGED.behind": "The database's change log (records.db-wal) is damaged {where}{lost}: {what}. {recover}",
    "STORE_BEHIND.what": "The record database is behind what was saved: {what}. It is an older copy, a copy taken while the program was running, or its change log was lost. {recover}",
    "KEYS_MISSING.beside_records": "The key file keys.json is missing from {folder}, but the record database is there: the records cannot be opened without it. Restore keys.json from a backup (or the whole profile with `clinic-app restore`); do not run `clinic-app init` here.",
    "NO_PROFILE.at": "No profile at {folder}: run `clinic-app init` to create one.",
}

# English phrases given as values (``doing``, ``outcome``, ``recover``, ``where`` ...).
PHRASES: tuple[str, ...] = (
    # what was being done
    "reading the records",
    "saving the change",
    "saving the attachment",
    "storing the attachment",
    "reading an attachment",
    "writing the attachment out",
    "opening the attachment folder",
    "reading the file to attach",
    "reading the key file",
    "changing the key file",
    "recording the key change",
    "opening the record database",
    "reading the record database",
    "creating the record database",
    "opening the profile after an unclean shutdown",
    "creating the profile in {folder}",
    "creating the new profile in {folder}",
    "writing the backup to {folder}",
    "writing a copy of the record database to {folder}",
    "copying the damaged database to read it",
    "writing the salvaged records",
    "reading the new backup back",
    "saving the backup settings",
    "running `{command}`",
    # what became of the data
    "Nothing was saved.",
    "Nothing was changed.",
    "No file was left behind.",
    "No backup file was left behind.",
    "No backup was made.",
    "No copy was kept.",
    "The key file was not changed.",
    "The new backup was removed; nothing else was changed.",
    "Nothing was changed: {unchanged}.",
    "the passphrase is unchanged",
    "the user was not added",
    "the user was not removed",
    "the old recovery key still works",
    # how to recover
    RECOVER,
    RECOVER_BEHIND,
    # damage
    "at frame {frame}",
    "in its header",
    "; {lost} committed changes after it cannot be read",
    " and a partial page",
    "{shown} and {more} more",
    "the last {missing} saved changes (up to {when}) are missing",
    "its audit log does not end where it did",
    # sizes
    "an unknown amount",
    "{n} bytes",
)

ZH: dict[str, str] = {
    TEMPLATES["ERROR"]: "操作未能完成。",
    TEMPLATES["STORE"]: "本地记录库拒绝了此操作。",
    TEMPLATES["WRONG_PASSPHRASE"]: "用户名、口令或恢复密钥错误。",
    TEMPLATES[
        "DAMAGED"
    ]: "存储的数据已损坏，未从中读取任何内容。请恢复最新的备份（`clinic-app restore`）或寻求帮助。",
    TEMPLATES["LOCKED"]: "工作站已锁定。",
    TEMPLATES["NOT_FOUND"]: "该记录、用户或附件不存在。",
    TEMPLATES["SCHEMA_TOO_NEW"]: "此档案由更新版本的程序写入。请安装新版本。",
    TEMPLATES["PROFILE_EXISTS"]: "该文件夹中已存在档案。",
    TEMPLATES["PROFILE_BUSY"]: "档案正被其他程序使用（工作站可能已打开）；请关闭后重试。",
    TEMPLATES["STORAGE"]: "记录所在的磁盘或文件夹操作失败。",
    TEMPLATES["DISK_FULL"]: "磁盘已满。请释放一些空间后重试。",
    TEMPLATES[
        "REBUILD_FAILED"
    ]: "未能从中心平台重建本诊所的记录；未保留任何内容。请检查网络连接后重试。",
    TEMPLATES["account_locked"]: "此用户名因多次登录失败已被锁定。请等待锁定结束，或请管理员解锁。",
    TEMPLATES["too_many_attempts"]: "尝试次数过多：请稍候再试。",
    TEMPLATES["reenroll"]: "此工作站与中心平台的连接已结束：请向管理员索取新的注册码并重新注册。",
    TEMPLATES["sign_in_again"]: "您与中心平台的会话已结束：请重新登录。",
    TEMPLATES["token_expired"]: "请重新登录：登录凭证已过期。",
    TEMPLATES["READ_ONLY"]: "磁盘为只读（处于写保护状态，或系统在出错后将其设为只读）。",
    TEMPLATES["MEDIUM_REMOVED"]: "磁盘、U 盘或网络共享已不在（已拔出或断开）。",
    TEMPLATES["PERMISSION_DENIED"]: "权限不足：此用户不能在该处写入。",
    TEMPLATES["IO_ERROR"]: "磁盘报告了输入/输出错误，可能正在损坏。",
    TEMPLATES[
        "DB_DAMAGED"
    ]: "记录数据库已损坏。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。",
    TEMPLATES[
        "DB_TRUNCATED"
    ]: "记录数据库文件被截断。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。",
    TEMPLATES[
        "LOG_DAMAGED"
    ]: "数据库的变更日志（records.db-wal）已损坏。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。",
    TEMPLATES[
        "STORE_BEHIND"
    ]: "记录数据库落后于已保存的内容。档案未被打开，因此没有再做任何更改。请恢复最新的备份（`clinic-app restore`），或在原电脑上关闭程序后重新复制档案；文件保持原样。",
    TEMPLATES[
        "DB_MISSING"
    ]: "档案的密钥文件在，但记录数据库缺失或为空：记录不在那里。未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。",
    TEMPLATES["ATTACHMENT_DAMAGED"]: "附件文件已损坏或缺失，未使用其内容。",
    TEMPLATES["NO_PROFILE"]: "此处没有档案：运行 `clinic-app init` 可创建一个。",
    TEMPLATES[
        "KEYS_MISSING"
    ]: "密钥文件 keys.json 缺失：没有它无法打开记录。请从备份恢复 keys.json；不要在此运行 `clinic-app init`。",
    TEMPLATES[
        "KEYS_DAMAGED"
    ]: "密钥文件 keys.json 已损坏，或不属于此记录数据库。请从备份恢复；记录数据库未被改动。",
    TEMPLATES[
        "KEY_MISMATCH"
    ]: "无法用此档案的密钥读取记录数据库：它已被另一个数据库替换，或密钥文件属于另一个档案。",
    TEMPLATES["USAGE"]: "命令的用法不正确。",
    TEMPLATES["NO_DISPLAY"]: "无法在此打开窗口：没有显示器，或缺少系统库。",
    TEMPLATES["BACKUPS_OFF"]: "尚未选择备份文件夹：自动备份已关闭。",
    TEMPLATES["BACKUP_UNVERIFIED"]: "刚写入的备份无法完整无误地读回。",
    TEMPLATES[
        "DISK_FULL.while"
    ]: "磁盘已满：{folder} 仅剩 {free} 可用（{doing}时）。{outcome}请释放一些空间后重试。",
    TEMPLATES[
        "DISK_FULL.needed"
    ]: "磁盘已满：{folder} 仅剩 {free} 可用，大约还需要 {needed}（{doing}时）。{outcome}请释放一些空间后重试。",
    TEMPLATES[
        "READ_ONLY.while"
    ]: "{doing}时，{folder} 所在的磁盘为只读（处于写保护状态，或系统在出错后将其设为只读）。{outcome}",
    TEMPLATES[
        "PERMISSION_DENIED.while"
    ]: "{doing}时，对 {folder} 的权限不足：此用户不能在该处写入。{outcome}",
    TEMPLATES[
        "PERMISSION_DENIED.database"
    ]: "{doing}时，此用户无法以写入方式打开 {folder} 中的记录数据库。{outcome}",
    TEMPLATES[
        "MEDIUM_REMOVED.while"
    ]: "{doing}时，磁盘或文件夹 {folder} 已不在（已拔出或断开）。{outcome}",
    TEMPLATES[
        "IO_ERROR.while"
    ]: "{doing}时，{folder} 所在的磁盘报告了输入/输出错误，可能正在损坏。{outcome}",
    TEMPLATES[
        "PROFILE_BUSY.in_use"
    ]: "档案正被其他程序使用（工作站可能已打开）；请关闭后重试。{outcome}",
    TEMPLATES[
        "DB_MISSING.empty"
    ]: "记录数据库 {name} 为空（0 字节），但档案的密钥文件就在旁边：记录不在那里。{recover}",
    TEMPLATES[
        "DB_MISSING.empty_in"
    ]: "{folder} 中的记录数据库为空（0 字节），但密钥文件就在旁边：记录不在那里。{recover}",
    TEMPLATES["DB_MISSING.missing"]: "{folder} 中缺少记录数据库 {name}。{recover}",
    TEMPLATES[
        "KEY_MISMATCH.replaced"
    ]: "无法用此档案的密钥读取记录数据库：它已被另一个数据库替换，或密钥文件属于另一个档案。{recover}",
    TEMPLATES[
        "DB_TRUNCATED.of"
    ]: "记录数据库文件被截断：本应有 {total} 页，只剩 {pages} 页{partial}。{recover}",
    TEMPLATES["DB_TRUNCATED.count"]: "记录数据库文件被截断：只剩 {pages} 页{partial}。{recover}",
    TEMPLATES[
        "DB_DAMAGED.pages"
    ]: "记录数据库已损坏：{total} 页中有 {bad} 页未通过校验（页号：{pages}）。{recover}",
    TEMPLATES["DB_DAMAGED.unreadable"]: "无法读取记录数据库（{detail}）。{recover}",
    TEMPLATES["DB_DAMAGED.unclean"]: "非正常关机后，记录数据库未通过检查（{detail}）。{recover}",
    TEMPLATES[
        "LOG_DAMAGED.where"
    ]: "数据库的变更日志（records.db-wal）在{where}损坏{lost}。{recover}",
    TEMPLATES[
        "LOG_DAMAGED.behind"
    ]: "数据库的变更日志（records.db-wal）在{where}损坏{lost}：{what}。{recover}",
    TEMPLATES[
        "STORE_BEHIND.what"
    ]: "记录数据库落后于已保存的内容：{what}。它是旧的副本、程序运行时复制的副本，或其变更日志已丢失。{recover}",
    TEMPLATES[
        "KEYS_MISSING.beside_records"
    ]: "{folder} 中缺少密钥文件 keys.json，但记录数据库在那里：没有密钥文件无法打开记录。请从备份恢复 keys.json（或用 `clinic-app restore` 恢复整个档案）；不要在此运行 `clinic-app init`。",
    TEMPLATES["NO_PROFILE.at"]: "{folder} 处没有档案：运行 `clinic-app init` 可创建一个。",
    "reading the records": "读取记录",
    "saving the change": "保存更改",
    "saving the attachment": "保存附件",
    "storing the attachment": "存储附件",
    "reading an attachment": "读取附件",
    "writing the attachment out": "导出附件",
    "opening the attachment folder": "打开附件文件夹",
    "reading the file to attach": "读取要添加的文件",
    "reading the key file": "读取密钥文件",
    "changing the key file": "更改密钥文件",
    "recording the key change": "记录密钥更改",
    "opening the record database": "打开记录数据库",
    "reading the record database": "读取记录数据库",
    "creating the record database": "创建记录数据库",
    "opening the profile after an unclean shutdown": "在非正常关机后打开档案",
    "creating the profile in {folder}": "在 {folder} 中创建档案",
    "creating the new profile in {folder}": "在 {folder} 中创建新档案",
    "writing the backup to {folder}": "向 {folder} 写入备份",
    "writing a copy of the record database to {folder}": "向 {folder} 写入记录数据库的副本",
    "copying the damaged database to read it": "复制已损坏的数据库以便读取",
    "writing the salvaged records": "写入抢救出的记录",
    "reading the new backup back": "读回新备份",
    "saving the backup settings": "保存备份设置",
    "running `{command}`": "运行 `{command}`",
    "Nothing was saved.": "未保存任何内容。",
    "Nothing was changed.": "未做任何更改。",
    "No file was left behind.": "未留下任何文件。",
    "No backup file was left behind.": "未留下任何备份文件。",
    "No backup was made.": "未生成备份。",
    "No copy was kept.": "未保留副本。",
    "The key file was not changed.": "密钥文件未被更改。",
    "The new backup was removed; nothing else was changed.": "新备份已删除；其他内容均未更改。",
    "Nothing was changed: {unchanged}.": "未做任何更改：{unchanged}。",
    "the passphrase is unchanged": "口令保持不变",
    "the user was not added": "未添加该用户",
    "the user was not removed": "未删除该用户",
    "the old recovery key still works": "旧的恢复密钥仍然有效",
    RECOVER: "未做任何更改。请恢复最新的备份（`clinic-app restore`）或寻求帮助；请保持档案文件夹原样。",
    RECOVER_BEHIND: "档案未被打开，因此没有再做任何更改。请恢复最新的备份（`clinic-app restore`），或在原电脑上关闭程序后重新复制档案；文件保持原样。",
    "at frame {frame}": "第 {frame} 帧处",
    "in its header": "文件头处",
    "; {lost} committed changes after it cannot be read": "；其后已提交的 {lost} 项更改无法读取",
    " and a partial page": "，外加不完整的一页",
    "{shown} and {more} more": "{shown}，另有 {more} 页",
    "the last {missing} saved changes (up to {when}) are missing": "最近已保存的 {missing} 项更改（截至 {when}）缺失",
    "its audit log does not end where it did": "其审计日志的结尾与原先不同",
    "an unknown amount": "未知大小的空间",
    "{n} bytes": "{n} 字节",
}


# Every code's sentence that needs no values: what the web desk says for a code of the
# product's errors.
SENTENCES: dict[str, str] = {key: text for key, text in TEMPLATES.items() if "." not in key}
