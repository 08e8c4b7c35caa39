"""Every text the bot says itself, in English and Chinese, as Telegram-HTML templates.

`say(language, key, **values)` fills a template; the values are HTML-escaped, so a user's name or a city
they typed can never break the markup. What the coach writes (briefings, answers) comes from sleepcot.coach
and is rendered by bot.render instead.
"""

from __future__ import annotations

from html import escape

from sleepcot.domain import Language

EN, ZH = Language.EN, Language.ZH

TEXTS: dict[str, dict[Language, str]] = {
    "refused": {
        EN: "Sorry, this SleepCoT is private. If you know its operator, ask them for an invite.",
        ZH: "抱歉，这个 SleepCoT 是私人的。如果你认识它的管理员，请向其索取邀请码。",
    },
    "invite_invalid": {
        EN: "That invite code is not valid (it may be used or expired). Ask the operator for a new one.",
        ZH: "这个邀请码无效（可能已被使用或已过期）。请向管理员索取新的邀请码。",
    },
    "choose_language": {
        EN: "👋 Welcome to <b>SleepCoT</b>, your sleep coach.\nChoose your language · 请选择语言",
        ZH: "👋 欢迎使用 <b>SleepCoT</b> 睡眠教练。\n请选择语言 · Choose your language",
    },
    "consent": {
        EN: "<b>Before we start</b>\n\n"
            "SleepCoT reads the sleep data from your wearable and sends you a short briefing each morning, "
            "reasoning from your own numbers. You can ask it questions any time.\n\n"
            "• <b>Not medical advice.</b> SleepCoT is a coach, not a doctor or a medical device; it cannot "
            "diagnose anything. When something looks worrying it will tell you to see a clinician.\n"
            "• <b>Your data stays here</b>, on this server, and is used only to coach you. "
            "/export gives you all of it, /delete removes all of it.\n\n"
            "Do you agree?",
        ZH: "<b>开始之前</b>\n\n"
            "SleepCoT 读取你的可穿戴设备的睡眠数据，每天早上根据你自己的数据给你发一份简短的睡眠简报。你随时可以向它提问。\n\n"
            "• <b>这不是医疗建议。</b>SleepCoT 是睡眠教练，不是医生或医疗设备，无法做出任何诊断。发现值得担心的情况时，它会建议你去看医生。\n"
            "• <b>你的数据只保存在这台服务器上</b>，只用于为你提供指导。/export 可以导出全部数据，/delete 可以删除全部数据。\n\n"
            "你同意吗？",
    },
    "agree": {EN: "✅ I agree", ZH: "✅ 我同意"},
    "decline": {EN: "No, thanks", ZH: "不用了"},
    "declined": {
        EN: "No problem — nothing about you was kept. Send /start if you change your mind.",
        ZH: "没关系——你的信息没有被保存。如果改变主意，请发送 /start。",
    },
    "ask_timezone": {
        EN: "Where are you? I need your timezone to send the briefing at your morning.\n"
            "Share your location with the button, or type your city or a timezone (like <code>Europe/Berlin</code>).",
        ZH: "你在哪里？我需要知道你的时区，才能在你的早上发送简报。\n"
            "请点按钮分享位置，或输入你的城市或时区（例如 <code>Asia/Shanghai</code>）。",
    },
    "share_location": {EN: "📍 Share my location", ZH: "📍 分享我的位置"},
    "timezone_unknown": {
        EN: "I could not find “{text}”. Try a bigger city nearby, or a timezone like <code>America/New_York</code>.",
        ZH: "我找不到“{text}”。请试试附近的大城市，或输入时区，例如 <code>Asia/Shanghai</code>。",
    },
    "timezone_pick": {EN: "Which one do you mean?", ZH: "你指的是哪一个？"},
    "timezone_set": {EN: "🕑 Timezone: <b>{zone}</b> (your time now: {now}).",
                     ZH: "🕑 时区：<b>{zone}</b>（你现在的时间：{now}）。"},
    "ask_briefing_time": {
        EN: "When should your morning briefing arrive? Pick a time or type one (like 07:15).",
        ZH: "每天早上什么时候给你发简报？选择一个时间，或直接输入（例如 07:15）。",
    },
    "bad_time": {EN: "Please send a time like 07:15.", ZH: "请输入类似 07:15 的时间。"},
    "ask_age": {EN: "Your age group? It changes how much sleep is recommended for you.",
                ZH: "你的年龄段？推荐的睡眠时长因年龄而异。"},
    "ask_sex": {EN: "Your sex (optional)?", ZH: "你的性别（可选）？"},
    "female": {EN: "Female", ZH: "女"},
    "male": {EN: "Male", ZH: "男"},
    "other": {EN: "Other", ZH: "其他"},
    "skip": {EN: "Skip", ZH: "跳过"},
    "ask_goal": {EN: "What is your main sleep goal? Pick one or type your own.",
                 ZH: "你最主要的睡眠目标是什么？选择一个或自己输入。"},
    "goal_faster": {EN: "Fall asleep faster", ZH: "更快入睡"},
    "goal_longer": {EN: "Sleep longer", ZH: "睡得更久"},
    "goal_rested": {EN: "Wake up rested", ZH: "醒来精神饱满"},
    "goal_regular": {EN: "A regular schedule", ZH: "作息规律"},
    "ask_caffeine": {EN: "When do you usually have your last coffee, tea or other caffeine?",
                     ZH: "你通常什么时候喝最后一杯咖啡、茶或其他含咖啡因的饮料？"},
    "caffeine_none": {EN: "No caffeine", ZH: "不喝"},
    "caffeine_morning": {EN: "Before noon", ZH: "中午前"},
    "caffeine_afternoon": {EN: "Afternoon", ZH: "下午"},
    "caffeine_evening": {EN: "Evening", ZH: "晚上"},
    "ask_alcohol": {EN: "How many alcoholic drinks do you have in a typical week?",
                    ZH: "你一周通常喝几杯含酒精的饮料？"},
    "saved": {EN: "Saved.", ZH: "已保存。"},
    "onboarding_done": {
        EN: "🎉 All set, {name}! Your briefing will arrive each morning at <b>{time}</b> ({zone}).\n\n"
            "Next: /connect your wearable (or try the simulator), then /today for last night's briefing. "
            "/help lists everything I can do.",
        ZH: "🎉 设置完成，{name}！每天早上 <b>{time}</b>（{zone}）你会收到简报。\n\n"
            "下一步：用 /connect 连接你的可穿戴设备（或试试模拟器），然后发送 /today 查看昨晚的简报。/help 列出我能做的所有事情。",
    },
    "finish_onboarding": {EN: "Let's finish setting up first.", ZH: "我们先完成设置吧。"},
    "settings": {
        EN: "<b>Your settings</b>\nLanguage: {language}\nTimezone: {zone}\nBriefing: {time}\nAge group: {age}\n"
            "Sex: {sex}\nGoal: {goal}\nLast caffeine: {caffeine}\nDrinks a week: {alcohol}\n"
            "Weekly summary: {weekly}\nLate data: {late}\n\nTap one to change it.",
        ZH: "<b>你的设置</b>\n语言：{language}\n时区：{zone}\n简报时间：{time}\n年龄段：{age}\n"
            "性别：{sex}\n目标：{goal}\n最后一次咖啡因：{caffeine}\n每周饮酒：{alcohol}\n"
            "每周总结：{weekly}\n数据迟到时：{late}\n\n点击一项即可修改。",
    },
    "setting_language": {EN: "Language", ZH: "语言"},
    "setting_timezone": {EN: "Timezone", ZH: "时区"},
    "setting_briefing_time": {EN: "Briefing time", ZH: "简报时间"},
    "setting_age": {EN: "Age group", ZH: "年龄段"},
    "setting_sex": {EN: "Sex", ZH: "性别"},
    "setting_goal": {EN: "Goal", ZH: "目标"},
    "setting_caffeine": {EN: "Caffeine", ZH: "咖啡因"},
    "setting_alcohol": {EN: "Alcohol", ZH: "饮酒"},
    "setting_weekly_day": {EN: "Weekly summary", ZH: "每周总结"},
    "setting_late_briefing": {EN: "Late data", ZH: "数据迟到时"},
    "ask_weekly_day": {
        EN: "On which day should your weekly sleep summary arrive? Pick a day, or turn it off.",
        ZH: "每周睡眠总结在哪一天发给你？选择一天，或者关闭。",
    },
    "ask_late_briefing": {
        EN: "When last night's data reaches me after your briefing time: <b>On</b> — at briefing time a short "
            "“no data yet” note, then the briefing as soon as the data comes; <b>Off</b> — only the note.",
        ZH: "如果昨晚的数据在简报时间之后才到：<b>开启</b>——简报时间先发一条简短的“还没有数据”提醒，数据一到就发简报；"
            "<b>关闭</b>——只发提醒。",
    },
    "on": {EN: "On", ZH: "开启"},
    "off": {EN: "Off", ZH: "关闭"},
    "late_on": {EN: "briefing when the data arrives", ZH: "数据到达后发送简报"},
    "late_off": {EN: "only a note", ZH: "只发提醒"},
    "not_set": {EN: "not set", ZH: "未设置"},
    "help": {
        EN: "<b>SleepCoT</b> — your sleep coach\n\n"
            "/today — last night's briefing\n"
            "/week [7–30] — a chart of your recent nights\n"
            "/ask &lt;question&gt; — ask about your sleep or sleep in general (or just type it)\n"
            "/log &lt;what&gt; — log coffee, alcohol, a workout, stress… (or just tell me: “had wine tonight”)\n"
            "/connect · /sources · /disconnect — your wearables\n"
            "/settings — language, timezone, briefing time and more\n"
            "/export — all your data as a file\n"
            "/delete — delete everything about you\n\n"
            "SleepCoT is a coach, not a doctor: it cannot diagnose.",
        ZH: "<b>SleepCoT</b> — 你的睡眠教练\n\n"
            "/today — 昨晚的睡眠简报\n"
            "/week [7–30] — 最近几晚的图表\n"
            "/ask &lt;问题&gt; — 询问你的睡眠或一般睡眠知识（也可以直接输入）\n"
            "/log &lt;内容&gt; — 记录咖啡、饮酒、运动、压力等（也可以直接说：“今晚喝了酒”）\n"
            "/connect · /sources · /disconnect — 你的可穿戴设备\n"
            "/settings — 语言、时区、简报时间等\n"
            "/export — 以文件导出你的全部数据\n"
            "/delete — 删除你的全部数据\n\n"
            "SleepCoT 是睡眠教练，不是医生：无法做出诊断。",
    },
    "admin_help": {
        EN: "\n\n<b>Operator</b>\n/invite — a single-use invite link\n/users — how many people use this bot",
        ZH: "\n\n<b>管理员</b>\n/invite — 生成一次性邀请链接\n/users — 使用人数",
    },
    "no_nights": {
        EN: "I have no sleep data for you yet. Use /connect to link your wearable (or the simulator).",
        ZH: "我还没有你的睡眠数据。请用 /connect 连接你的可穿戴设备（或模拟器）。",
    },
    "briefing_title": {EN: "Good morning, {name} — {day}", ZH: "早上好，{name} — {day}"},
    "no_data_yet_late": {
        EN: "☀️ Good morning! No night from your wearable has arrived yet for {day}. "
            "Your briefing follows as soon as it does.",
        ZH: "☀️ 早上好！{day} 这一晚的数据还没有从你的可穿戴设备传过来。数据一到，简报就会发给你。",
    },
    "no_data_yet": {
        EN: "☀️ Good morning! No night from your wearable has arrived yet for {day}. "
            "Send /today later to see your briefing.",
        ZH: "☀️ 早上好！{day} 这一晚的数据还没有从你的可穿戴设备传过来。请稍后发送 /today 查看简报。",
    },
    "resent_note": {
        EN: "<i>Sent again because a restart interrupted its first delivery: if you already received it, "
            "ignore this copy.</i>",
        ZH: "<i>由于重启打断了第一次发送，这条消息又发了一次：如果你已经收到过，请忽略这一份。</i>",
    },
    "weekly_title": {EN: "<b>Your week of sleep</b> ({start} – {end})", ZH: "<b>你这一周的睡眠</b>（{start} – {end}）"},
    "without_model": {
        EN: "Written from your data without the language model, which is not available right now.",
        ZH: "语言模型暂时不可用，这份内容直接根据你的数据生成。",
    },
    "model_down": {
        EN: "Sorry — my language model is not available right now, so I can't answer freely. "
            "Here is what I can tell you straight from your data and my sources:",
        ZH: "抱歉——我的语言模型暂时不可用，无法自由回答。以下是我能直接根据你的数据和资料告诉你的：",
    },
    "too_long": {
        EN: "That message is too long for me ({length} characters). Please ask in under {limit} characters.",
        ZH: "这条消息太长了（{length} 个字符）。请把问题控制在 {limit} 个字符以内。",
    },
    "error": {
        EN: "Sorry — something went wrong on my side. Please try again in a moment.",
        ZH: "抱歉——我这边出了点问题。请稍后再试。",
    },
    "unknown_command": {EN: "I don't know that command. /help lists what I can do.",
                        ZH: "我不认识这个命令。/help 列出了我能做的事情。"},
    "week_caption": {
        EN: "<b>Your last {count} nights</b> ({start} – {end})\nAverage sleep {sleep}, efficiency {efficiency}.",
        ZH: "<b>你最近 {count} 晚</b>（{start} – {end}）\n平均睡眠 {sleep}，睡眠效率 {efficiency}。",
    },
    "week_usage": {EN: "Use /week or /week 30 (7 to 30 nights).", ZH: "请使用 /week 或 /week 30（7 到 30 晚）。"},
    "log_pick": {EN: "What would you like to log for tonight? Tap one, or tell me in your own words.",
                 ZH: "今晚想记录什么？点一个，或者直接用你自己的话告诉我。"},
    "logged": {EN: "📝 Logged {what} for the night ending {day}. I'll take it into account.",
               ZH: "📝 已记录：{what}（截至 {day} 的那一晚）。我会把它考虑进去。"},
    "log_unknown": {
        EN: "I couldn't tell what to log. Try “coffee at 5pm”, “two glasses of wine”, “late workout” or “stressed”.",
        ZH: "我没看懂要记录什么。试试“下午五点喝了咖啡”“喝了两杯红酒”“晚上运动”或“压力大”。",
    },
    "connect_pick": {
        EN: "Which source do you want to connect? The simulator gives you realistic demo nights right away.",
        ZH: "要连接哪个数据源？模拟器可以立即生成逼真的演示数据。",
    },
    "connect_unconfigured": {
        EN: "Not set up on this SleepCoT yet: {names}. To offer one, the operator sets "
            "SLEEPCOT_&lt;NAME&gt;_CLIENT_ID, SLEEPCOT_&lt;NAME&gt;_CLIENT_SECRET and SLEEPCOT_PUBLIC_URL.",
        ZH: "这个 SleepCoT 还没有配置：{names}。管理员需要设置 SLEEPCOT_&lt;NAME&gt;_CLIENT_ID、"
            "SLEEPCOT_&lt;NAME&gt;_CLIENT_SECRET 和 SLEEPCOT_PUBLIC_URL 才能提供。",
    },
    "vendor_not_configured": {
        EN: "<b>{label}</b> is not set up on this SleepCoT, so it can't be connected yet. "
            "The operator must set {missing}.",
        ZH: "这个 SleepCoT 还没有配置 <b>{label}</b>，暂时无法连接。管理员需要设置 {missing}。",
    },
    "vendor_unknown": {
        EN: "I don't know a source called “{name}”. You can connect: {names}.",
        ZH: "我不认识名为“{name}”的数据源。可以连接的有：{names}。",
    },
    "vendor_files_only": {
        EN: "<b>{label}</b> is read from export files: the operator can import one with "
            "<code>sleepcot import --vendor {name} FILE</code>.",
        ZH: "<b>{label}</b> 需要通过导出文件读取：管理员可以用 <code>sleepcot import --vendor {name} FILE</code> 导入。",
    },
    "oauth_link": {
        EN: "Tap the button to let SleepCoT read your sleep from <b>{label}</b>. "
            "The link works for {minutes} minutes; after that, send /connect {name} again.",
        ZH: "点击下面的按钮，允许 SleepCoT 读取你在 <b>{label}</b> 的睡眠数据。"
            "链接 {minutes} 分钟内有效；过期后请重新发送 /connect {name}。",
    },
    "oauth_button": {EN: "🔗 Connect {label}", ZH: "🔗 连接 {label}"},
    "oauth_connected": {
        EN: "🔗 <b>{label}</b> is connected. I'm fetching your recent nights now…",
        ZH: "🔗 已连接 <b>{label}</b>。正在获取你最近的睡眠数据…",
    },
    "first_sync_done": {
        EN: "📥 {count} nights arrived from {label}. Try /today.",
        ZH: "📥 已从 {label} 收到 {count} 晚的数据。试试 /today。",
    },
    "first_sync_none": {
        EN: "No nights from {label} yet; they will arrive with the next sync.",
        ZH: "{label} 还没有数据；下次同步时会自动获取。",
    },
    "oauth_denied": {
        EN: "{label} was not connected: access was not granted. Send /connect {name} to try again.",
        ZH: "没有连接 {label}：未获得授权。如需重试，请发送 /connect {name}。",
    },
    "oauth_failed": {
        EN: "Connecting {label} did not work. Send /connect {name} to try again.",
        ZH: "连接 {label} 没有成功。请发送 /connect {name} 重试。",
    },
    "reconnect": {
        EN: "⚠️ Your {label} connection stopped working (access was revoked or expired). "
            "Send /connect {name} to reconnect.",
        ZH: "⚠️ 你与 {label} 的连接已失效（授权被撤销或已过期）。请发送 /connect {name} 重新连接。",
    },
    "upload_howto": {
        EN: "<b>{label}</b> works from an export of your data:\n"
            "1. On your iPhone, open the Health app, tap your profile picture, then "
            "<b>Export All Health Data</b>.\n"
            "2. Send the <code>export.zip</code> here as a file (📎 → File).\n\n"
            "Telegram lets bots download files of up to {limit} MB. For a bigger export, the operator can import "
            "it with <code>sleepcot import --vendor {name} FILE</code>.",
        ZH: "<b>{label}</b> 通过导出的数据使用：\n"
            "1. 在 iPhone 上打开“健康”App，点你的头像，然后点<b>“导出所有健康数据”</b>。\n"
            "2. 把 <code>export.zip</code> 作为文件发到这里（📎 → 文件）。\n\n"
            "Telegram 只允许机器人下载不超过 {limit} MB 的文件。导出文件更大时，管理员可以用 "
            "<code>sleepcot import --vendor {name} FILE</code> 导入。",
    },
    "file_unsupported": {
        EN: "I can read an Apple Health export: send <code>export.zip</code> (or <code>export.xml</code>) as a file. "
            "I can't do anything with other files.",
        ZH: "我能读取 Apple Health 的导出文件：请把 <code>export.zip</code>（或 <code>export.xml</code>）作为文件发送。"
            "其他文件我无法处理。",
    },
    "file_too_big": {
        EN: "That file is too big for me to download ({size} MB): Telegram lets bots download files of up to "
            "{limit} MB. Two ways around it, for the operator of this SleepCoT: import the file with "
            "<code>sleepcot import --vendor apple_health FILE</code>, or run a self-hosted Telegram Bot API server "
            "(SLEEPCOT_TELEGRAM_API_URL), which has no such limit.",
        ZH: "这个文件太大，我无法下载（{size} MB）：Telegram 只允许机器人下载不超过 {limit} MB 的文件。"
            "这个 SleepCoT 的管理员有两种办法：用 <code>sleepcot import --vendor apple_health FILE</code> 导入，"
            "或运行自托管的 Telegram Bot API 服务器（SLEEPCOT_TELEGRAM_API_URL），它没有这个限制。",
    },
    "import_reading": {
        EN: "📥 Reading your Apple Health export… (a large one can take a minute)",
        ZH: "📥 正在读取你的 Apple Health 导出文件…（文件较大时可能需要一分钟）",
    },
    "import_done": {
        EN: "✅ Imported {nights} nights from {label} ({changed} new or updated); {rejected} records were "
            "rejected. See /sources, or try /today.",
        ZH: "✅ 已从 {label} 导入 {nights} 晚（{changed} 晚是新增或更新的）；{rejected} 条记录被拒绝。"
            "查看 /sources，或试试 /today。",
    },
    "import_empty": {
        EN: "I read the export but found no sleep in it ({rejected} records were rejected). Is sleep tracking on "
            "in the Health app?",
        ZH: "我读取了导出文件，但没有找到睡眠数据（{rejected} 条记录被拒绝）。“健康”App 中的睡眠记录打开了吗？",
    },
    "import_unreadable": {
        EN: "I could not read that file as an Apple Health export, so nothing was imported. {reason}\n"
            "Send the <code>export.zip</code> exactly as the Health app wrote it.",
        ZH: "我无法把这个文件当作 Apple Health 导出文件读取，因此没有导入任何数据。{reason}\n"
            "请发送“健康”App 生成的原始 <code>export.zip</code>。",
    },
    "persona_pick": {EN: "Which sleeper should the simulator be?", ZH: "模拟器要模拟哪一类睡眠者？"},
    "connected": {EN: "🔗 Connected <b>{vendor}</b>: {count} nights synced. Try /today.",
                  ZH: "🔗 已连接 <b>{vendor}</b>：已同步 {count} 晚。试试 /today。"},
    "sources": {EN: "<b>Your sources</b>\n{lines}", ZH: "<b>你的数据源</b>\n{lines}"},
    "source_line": {EN: "• {vendor}: {count} nights, newest {latest}", ZH: "• {vendor}：{count} 晚，最近 {latest}"},
    "source_connected_only": {EN: "• {vendor}: connected, no nights yet", ZH: "• {vendor}：已连接，还没有数据"},
    "source_reconnect": {EN: " — ⚠️ needs reconnect: /connect {name}", ZH: " — ⚠️ 需要重新连接：/connect {name}"},
    "no_sources": {EN: "No source is connected. Use /connect.", ZH: "还没有连接数据源。请使用 /connect。"},
    "disconnect_pick": {EN: "Which source should I disconnect?", ZH: "要断开哪个数据源？"},
    "disconnected": {
        EN: "Disconnected {vendor}. The nights already synced stay until you /delete them.",
        ZH: "已断开 {vendor}。已同步的数据会保留，直到你用 /delete 删除。",
    },
    "disconnect_files": {
        EN: "{vendor} is not a connection: its nights came from a file you sent. They stay until you /delete them.",
        ZH: "{vendor} 不是一个连接：它的数据来自你发送的文件。这些数据会保留，直到你用 /delete 删除。",
    },
    "not_connected": {EN: "{vendor} is not connected. /sources lists what is.",
                      ZH: "{vendor} 没有连接。/sources 列出了已连接的数据源。"},
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
}

def say(language: Language, key: str, /, **values: object) -> str:
    """The `key` text in `language`, with `values` HTML-escaped and filled in."""
    return TEXTS[key][language].format(**{name: escape(str(value), quote=False) for name, value in values.items()})


def language_of(telegram_code: str | None) -> Language:
    """A first guess from the Telegram client's language (the user confirms it during onboarding)."""
    return ZH if (telegram_code or "").lower().startswith("zh") else EN


def escape_text(text: str) -> str:
    """Plain text (a message from elsewhere, e.g. an integration's error) made safe inside HTML."""
    return escape(text, quote=False)
