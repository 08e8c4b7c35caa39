"""The OAuth page, export and delete, and the admin commands. (English and Chinese, Telegram-HTML templates.)"""

from sleepcot.domain import Language

EN, ZH = Language.EN, Language.ZH

ACCOUNT: dict[str, dict[Language, str]] = {
    "web_connected_title": {EN: "Connected", ZH: "已连接"},
    "web_connected": {EN: "Connected. You can go back to Telegram.", ZH: "已连接。你可以回到 Telegram 了。"},
    "web_failed_title": {EN: "Not connected", ZH: "未连接"},
    "web_denied": {
        EN: "Access was not granted, so nothing was connected. Go back to Telegram and send /connect to try again.",
        ZH: "未获得授权，因此没有连接任何内容。请回到 Telegram 发送 /connect 重试。",
    },
    "web_bad_request": {
        EN: "This link is incomplete or not valid. Go back to Telegram and send /connect again.",
        ZH: "这个链接不完整或无效。请回到 Telegram 重新发送 /connect。",
    },
    "web_unknown_vendor": {EN: "There is no such service here.", ZH: "这里没有这个服务。"},
    "web_error": {
        EN: "Something went wrong on our side. Go back to Telegram and send /connect to try again.",
        ZH: "我们这边出了点问题。请回到 Telegram 发送 /connect 重试。",
    },
    "export_caption": {EN: "All the data SleepCoT holds about you.", ZH: "SleepCoT 保存的你的全部数据。"},
    "delete_confirm": {
        EN: "⚠️ Delete <b>everything</b> SleepCoT holds about you — nights, logs, briefings, conversations, "
            "settings and connections? This cannot be undone.",
        ZH: "⚠️ 删除 SleepCoT 保存的关于你的<b>全部</b>数据——睡眠记录、日志、简报、对话、设置和连接？此操作无法撤销。",
    },
    "delete_yes": {EN: "Delete everything", ZH: "全部删除"},
    "delete_no": {EN: "Cancel", ZH: "取消"},
    "deleted": {EN: "🗑 Done: everything about you is deleted. Goodbye, and sleep well.",
                ZH: "🗑 完成：你的全部数据已删除。再见，祝你睡个好觉。"},
    "kept": {EN: "Nothing was deleted.", ZH: "没有删除任何内容。"},
    "invite_created": {
        EN: "A single-use invite, valid for {hours} hours:\n{link}\n(or send <code>/start {code}</code> to the bot)",
        ZH: "一次性邀请，有效期 {hours} 小时：\n{link}\n（或向机器人发送 <code>/start {code}</code>）",
    },
    "users": {EN: "{count} people use this bot ({onboarded} finished setting up).",
              ZH: "共有 {count} 人使用这个机器人（{onboarded} 人已完成设置）。"},
    "block_usage": {
        EN: "Send <code>/block ID</code> with the person's Telegram id (a number) to remove their data and stop "
            "answering them; <code>/unblock ID</code> lets them join again.",
        ZH: "发送 <code>/block ID</code>（对方的 Telegram 数字 ID）可删除其数据并不再回复对方；"
            "<code>/unblock ID</code> 可让其重新加入。",
    },
    "blocked_removed": {EN: "Blocked {id}: their data is deleted and the bot no longer answers them.",
                        ZH: "已封禁 {id}：其数据已删除，机器人不再回复对方。"},
    "blocked_nobody": {EN: "Blocked {id}: nobody used the bot with that id; the bot will not answer them.",
                       ZH: "已封禁 {id}：没有人用这个 ID 使用过机器人；机器人不会回复对方。"},
    "block_operator": {EN: "{id} is an operator of this bot (SLEEPCOT_TELEGRAM_ADMINS) and cannot be blocked here.",
                       ZH: "{id} 是这个机器人的管理员（SLEEPCOT_TELEGRAM_ADMINS），不能在这里封禁。"},
    "unblocked": {EN: "Unblocked {id}: they can join again (with an invite, unless admitted).",
                  ZH: "已解除封禁 {id}：对方可以重新加入（需要邀请，除非已被允许）。"},
    "not_blocked": {EN: "{id} was not blocked.", ZH: "{id} 未被封禁。"},
}
