"""Who gets in, onboarding and /settings. (English and Chinese, Telegram-HTML templates.)"""

from sleepcot.domain import Language

EN, ZH = Language.EN, Language.ZH

ONBOARDING: dict[str, dict[Language, str]] = {
    "refused": {
        EN: "Sorry, this SleepCoT is private. If you know its operator, ask them for an invite.",
        ZH: "抱歉，这个 SleepCoT 是私人的。如果你认识它的管理员，请向其索取邀请码。",
    },
    "slow_down": {
        EN: "That is a lot of messages at once. I'll answer what came first; please send the rest after my reply.",
        ZH: "一次发来的消息太多了。我会先回答最前面的；请在我回复之后再发送其余的。",
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
    "settings_title": {EN: "<b>Your settings</b>", ZH: "<b>你的设置</b>"},
    "setting_line": {EN: "{label}: {value}", ZH: "{label}：{value}"},
    "settings_tap": {EN: "Tap one to change it.", ZH: "点击一项即可修改。"},
    "setting_language": {EN: "Language", ZH: "语言"},
    "setting_timezone": {EN: "Timezone", ZH: "时区"},
    "setting_briefing_time": {EN: "Briefing time", ZH: "简报时间"},
    "setting_age": {EN: "Age group", ZH: "年龄段"},
    "setting_sex": {EN: "Sex", ZH: "性别"},
    "setting_goal": {EN: "Goal", ZH: "目标"},
    "setting_caffeine": {EN: "Last caffeine", ZH: "最后一次咖啡因"},
    "setting_alcohol": {EN: "Drinks a week", ZH: "每周饮酒"},
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
}
