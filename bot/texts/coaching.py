"""Help, briefings, the week, questions (and the chart after a history answer), logging and errors. (English and Chinese, Telegram-HTML templates.)"""

from sleepcot.domain import Language

EN, ZH = Language.EN, Language.ZH

COACHING: dict[str, dict[Language, str]] = {
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
        EN: "\n\n<b>Operator</b>\n/invite — a single-use invite link\n/users — how many people use this bot\n"
            "/block ID — delete someone's data and stop answering them (/unblock ID undoes it)",
        ZH: "\n\n<b>管理员</b>\n/invite — 生成一次性邀请链接\n/users — 使用人数\n"
            "/block ID — 删除某人的数据并不再回复对方（/unblock ID 撤销）",
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
    # The chart after a history answer (drawn in the PNG, not sent as HTML): its title and the names of its nights.
    "chart_title": {EN: "{measure}, {start} – {end}", ZH: "{measure}，{start} – {end}"},
    "chart_title_compare": {EN: "{measure}: {main} vs {other}", ZH: "{measure}：{main}与{other}"},
    "chart_this_week": {EN: "This week", ZH: "本周"},
    "chart_last_week": {EN: "Last week", ZH: "上周"},
    "chart_this_month": {EN: "This month", ZH: "本月"},
    "chart_last_month": {EN: "Last month", ZH: "上个月"},
    "chart_last_nights": {EN: "Last {n} nights", ZH: "最近 {n} 晚"},
    "chart_month": {EN: "{month}", ZH: "{month}"},
    "chart_since": {EN: "Since {start}", ZH: "{start}以来"},
    "chart_between": {EN: "{start} – {end}", ZH: "{start} – {end}"},
    "chart_all": {EN: "All nights", ZH: "全部夜晚"},
    "chart_period": {EN: "This period", ZH: "这段时间"},
    "chart_compared": {EN: "Compared period", ZH: "对比时段"},
    "chart_weekends": {EN: "Weekend nights", ZH: "周末夜晚"},
    "chart_weekdays": {EN: "Weekday nights", ZH: "工作日夜晚"},
    "chart_with": {EN: "With {habit}", ZH: "{habit}的夜晚"},
    "chart_without": {EN: "Without {habit}", ZH: "没有{habit}的夜晚"},
}
