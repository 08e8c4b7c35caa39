"""Connecting, listing and disconnecting sources, uploads and syncs. (English and Chinese, Telegram-HTML templates.)"""

from sleepcot.domain import Language

EN, ZH = Language.EN, Language.ZH

SOURCES: dict[str, dict[Language, str]] = {
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
    "source_unreadable": {
        EN: "⚠️ Your {label} connection cannot be opened on this SleepCoT right now (its keys changed), so no "
            "new nights arrive from it. The operator has been told. If it does not come back, send "
            "/connect {name} to connect it again.",
        ZH: "⚠️ 目前无法在此 SleepCoT 上打开你与 {label} 的连接（其密钥已更改），因此不会有新的睡眠数据传来。"
            "已通知运营者。如果一直没有恢复，请发送 /connect {name} 重新连接。",
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
}
