<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About counter-app</source>
        <translation>关于柜台系统</translation>
    </message>
    <message>
        <source>counter-app: RA front counter</source>
        <translation>数字证书注册中心柜台系统</translation>
    </message>
    <message>
        <source>Version:</source>
        <translation>版本：</translation>
    </message>
    <message>
        <source>Data directory:</source>
        <translation>数据目录：</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>数据库：</translation>
    </message>
    <message>
        <source>Signing module:</source>
        <translation>签发模块：</translation>
    </message>
    <message>
        <source>Token module (PKCS#11):</source>
        <translation>介质驱动（PKCS#11）：</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
</context>
<context>
    <name>AddItemForm</name>
    <message>
        <source>Application &amp;item:</source>
        <translation>应用项(&amp;I)：</translation>
    </message>
</context>
<context>
    <name>AddItemPage</name>
    <message>
        <source>Application item</source>
        <translation>应用项</translation>
    </message>
    <message>
        <source>A new certificate is issued onto the same token.</source>
        <translation>将在同一介质上签发新证书。</translation>
    </message>
    <message>
        <source>Recorded at the RA only; the certificate stays as it is.</source>
        <translation>仅在注册中心登记，证书不变。</translation>
    </message>
</context>
<context>
    <name>AgreementForm</name>
    <message>
        <source>Let the subscriber read the whole agreement. &quot;Accepted&quot; can be ticked once the text has been scrolled to the end.</source>
        <translation>请订户完整阅读协议。协议文本滚动到末尾后，才能勾选“同意”。</translation>
    </message>
    <message>
        <source>Version:</source>
        <translation>版本：</translation>
    </message>
    <message>
        <source>SHA-256:</source>
        <translation>SHA-256：</translation>
    </message>
    <message>
        <source>Scroll to the end of the agreement to continue.</source>
        <translation>请将协议滚动到末尾后再继续。</translation>
    </message>
    <message>
        <source>The subscriber has read the whole agreement and &amp;accepts it</source>
        <translation>订户已阅读全部协议并同意(&amp;A)</translation>
    </message>
</context>
<context>
    <name>AgreementPage</name>
    <message>
        <source>Subscriber&apos;s &amp;screen</source>
        <translation>订户屏(&amp;S)</translation>
    </message>
    <message>
        <source>The subscriber has not signed on the subscriber&apos;s screen.</source>
        <translation>订户尚未在订户屏上签名。</translation>
    </message>
    <message>
        <source>Subscriber&apos;s screen not open (signing on paper).</source>
        <translation>订户屏未打开（纸质签字）。</translation>
    </message>
    <message>
        <source>The subscriber has signed (SHA-256 %1…).</source>
        <translation>订户已签名（SHA-256 %1…）。</translation>
    </message>
    <message>
        <source>Agreement</source>
        <translation>服务协议</translation>
    </message>
</context>
<context>
    <name>BatchRenewPage</name>
    <message>
        <source>Unit name or USCC</source>
        <translation>单位名称或统一社会信用代码</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>收费方式</translation>
    </message>
    <message>
        <source>Tendered (yuan)</source>
        <translation>实收（元）</translation>
    </message>
    <message>
        <source>Approve and &amp;take payment</source>
        <translation>审核并收费(&amp;T)</translation>
    </message>
    <message>
        <source>Token PIN</source>
        <translation>介质PIN码</translation>
    </message>
    <message>
        <source>&amp;Renew this one</source>
        <translation>更新此张(&amp;R)</translation>
    </message>
    <message>
        <source>S&amp;kip (refund its share)</source>
        <translation>跳过并退还该张费用(&amp;K)</translation>
    </message>
    <message>
        <source>Insert token %1 for certificate %2 (¥ %3).</source>
        <translation>请插入介质 %1，更新证书 %2（¥ %3）。</translation>
    </message>
    <message>
        <source>No certificate of this subscriber is due for renewal.</source>
        <translation>该订户没有处于更新期内的证书。</translation>
    </message>
    <message>
        <source>Total ¥ %1</source>
        <translation>合计 ¥ %1</translation>
    </message>
    <message>
        <source>Paid ¥ %1 (receipt %2, change ¥ %3).</source>
        <translation>已收费 ¥ %1（收据 %2，找零 ¥ %3）。</translation>
    </message>
    <message>
        <source>Renewed: %1.</source>
        <translation>已更新：%1。</translation>
    </message>
    <message>
        <source>Not renewed: %1 (refund %2). %3</source>
        <translation>未更新：%1（退款 %2）。%3</translation>
    </message>
    <message>
        <source>Batch done: %1 of %2 renewed, ¥ %3 refunded.</source>
        <translation>批量更新完成：共 %2 张，已更新 %1 张，退款 ¥ %3。</translation>
    </message>
</context>
<context>
    <name>CertificateForm</name>
    <message>
        <source>Certificate &amp;serial:</source>
        <translation>证书序列号(&amp;S)：</translation>
    </message>
    <message>
        <source>serial number (hex), see Look up</source>
        <translation>证书序列号（十六进制），可在“查询”中找到</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
</context>
<context>
    <name>CertificatePage</name>
    <message>
        <source>Certificate</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Subscriber: %1</source>
        <translation>订户：%1</translation>
    </message>
    <message>
        <source>Status: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <source>Valid until: %1</source>
        <translation>有效期至：%1</translation>
    </message>
    <message>
        <source>Token: %1</source>
        <translation>介质：%1</translation>
    </message>
</context>
<context>
    <name>ChangeForm</name>
    <message>
        <source>Correct what has changed; the rest stays.</source>
        <translation>只修改发生变化的信息，其余保持不变。</translation>
    </message>
    <message>
        <source>Mobile:</source>
        <translation>手机号码：</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>电子邮箱：</translation>
    </message>
    <message>
        <source>Legal representative:</source>
        <translation>法定代表人：</translation>
    </message>
    <message>
        <source>Agent name:</source>
        <translation>经办人姓名：</translation>
    </message>
    <message>
        <source>Agent mobile:</source>
        <translation>经办人手机：</translation>
    </message>
    <message>
        <source>Agent email:</source>
        <translation>经办人邮箱：</translation>
    </message>
    <message>
        <source>Device name:</source>
        <translation>设备名称：</translation>
    </message>
</context>
<context>
    <name>ChangePage</name>
    <message>
        <source>Documents seen for this change</source>
        <translation>本次变更已查验的证明材料</translation>
    </message>
    <message>
        <source>Number of the letter of authorisation</source>
        <translation>授权委托书编号</translation>
    </message>
    <message>
        <source>Changes</source>
        <translation>变更内容</translation>
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <source>Change my password</source>
        <translation>修改本人密码</translation>
    </message>
    <message>
        <source>&amp;Current password:</source>
        <translation>当前密码(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;New password:</source>
        <translation>新密码(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Repeat the new password:</source>
        <translation>再次输入新密码(&amp;R)：</translation>
    </message>
    <message>
        <source>Enter your current password and the new one.</source>
        <translation>请输入当前密码和新密码。</translation>
    </message>
</context>
<context>
    <name>CustodianDialog</name>
    <message>
        <source>&amp;Custodian:</source>
        <translation>保管人(&amp;C)：</translation>
    </message>
    <message>
        <source>The signing module is under custody: {0} custodians open it for the day, each with their own passphrase. Nobody else needs or sees what opens its keys.</source>
        <translation>签发模块由保管人保管：每天由 {0} 名保管人各自输入本人口令开启。其他人无需也无法看到开启密钥的口令。</translation>
    </message>
    <message>
        <source>Custodian {0} of {1}</source>
        <translation>保管人 {0}/{1}</translation>
    </message>
    <message>
        <source>Enter the custodian&apos;s name and own passphrase.</source>
        <translation>请输入保管人姓名及其本人口令。</translation>
    </message>
</context>
<context>
    <name>DeskPage</name>
    <message>
        <source>Refunded</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Waived</source>
        <translation>减免</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>净收入</translation>
    </message>
    <message>
        <source>Cash expected in the till</source>
        <translation>应有现金</translation>
    </message>
    <message>
        <source>In stock</source>
        <translation>在库</translation>
    </message>
    <message>
        <source>Issued</source>
        <translation>已发放</translation>
    </message>
    <message>
        <source>Returned</source>
        <translation>已退回</translation>
    </message>
    <message>
        <source>Faulty</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Lost</source>
        <translation>遗失</translation>
    </message>
    <message>
        <source>Business day</source>
        <translation>营业日</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>The day&apos;s figures</source>
        <translation>当日收支</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>业务笔数</translation>
    </message>
    <message>
        <source>Daily close</source>
        <translation>日结</translation>
    </message>
    <message>
        <source>Cash counted (yuan)</source>
        <translation>实点现金（元）</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>&amp;Close the day</source>
        <translation>日结(&amp;C)</translation>
    </message>
    <message>
        <source>Re&amp;open the day</source>
        <translation>重开(&amp;O)</translation>
    </message>
    <message>
        <source>Collected (blue) and refunded (red), last 7 days, yuan</source>
        <translation>近 7 日收款（蓝）与退款（红），单位：元</translation>
    </message>
    <message>
        <source>Token stock</source>
        <translation>介质库存</translation>
    </message>
    <message>
        <source>Expiry reminders (30 days)</source>
        <translation>到期提醒（30 天内）</translation>
    </message>
    <message>
        <source>&amp;Send reminders</source>
        <translation>发送提醒(&amp;S)</translation>
    </message>
    <message>
        <source>The day is closed.</source>
        <translation>已日结。</translation>
    </message>
    <message>
        <source>The day is reopened.</source>
        <translation>已重开。</translation>
    </message>
    <message>
        <source>Reminders sent: %1.</source>
        <translation>已发送提醒：%1 封。</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已日结</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未日结</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Closed by %1: counted ¥ %2, difference ¥ %3.</source>
        <translation>%1 已日结：实点 ¥ %2，差额 ¥ %3。</translation>
    </message>
    <message>
        <source>Fewer than %1 tokens in stock: order more.</source>
        <translation>在库介质不足 %1 枚，请及时补货。</translation>
    </message>
    <message>
        <source>%1 certificate(s) expire within 30 days; %2 not reminded yet.</source>
        <translation>%1 张证书将在 30 天内到期，其中 %2 张尚未提醒。</translation>
    </message>
</context>
<context>
    <name>EnrollWizard</name>
    <message>
        <source>Make the key and &amp;issue</source>
        <translation>生成密钥并签发(&amp;I)</translation>
    </message>
</context>
<context>
    <name>FeeForm</name>
    <message>
        <source>Certificate &amp;type:</source>
        <translation>证书类型(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Key algorithm:</source>
        <translation>密钥算法(&amp;K)：</translation>
    </message>
    <message>
        <source>Fee:</source>
        <translation>费用：</translation>
    </message>
    <message>
        <source>Payment:</source>
        <translation>支付方式：</translation>
    </message>
    <message>
        <source>&amp;Cash</source>
        <translation>现金(&amp;C)</translation>
    </message>
    <message>
        <source>Ca&amp;rd</source>
        <translation>刷卡(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Transfer</source>
        <translation>转账(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Waiver</source>
        <translation>减免(&amp;W)</translation>
    </message>
    <message>
        <source>Te&amp;ndered (yuan):</source>
        <translation>实收（元）(&amp;N)：</translation>
    </message>
    <message>
        <source>amount received, e.g. 150.00</source>
        <translation>实收金额，例如 150.00</translation>
    </message>
    <message>
        <source>Change due:</source>
        <translation>应找零：</translation>
    </message>
    <message>
        <source>Waiver &amp;reference:</source>
        <translation>减免通知编号(&amp;R)：</translation>
    </message>
    <message>
        <source>number of the written waiver notice</source>
        <translation>书面减免通知编号</translation>
    </message>
    <message>
        <source>Approved &amp;by:</source>
        <translation>批准人(&amp;B)：</translation>
    </message>
    <message>
        <source>operator name of the supervisor</source>
        <translation>主管的操作员名</translation>
    </message>
</context>
<context>
    <name>FeePage</name>
    <message>
        <source>Supervisor &amp;sign-in…</source>
        <translation>主管登录(&amp;S)…</translation>
    </message>
    <message>
        <source>Fee</source>
        <translation>收费</translation>
    </message>
    <message>
        <source>The token in the reader (%1) cannot make: %2.</source>
        <translation>读卡器中的介质（%1）不支持：%2。</translation>
    </message>
    <message>
        <source>Enter the amount received.</source>
        <translation>请输入实收金额。</translation>
    </message>
    <message>
        <source>Required.</source>
        <translation>必填项。</translation>
    </message>
    <message>
        <source>The supervisor must sign in for the waiver.</source>
        <translation>费用减免须由主管登录批准。</translation>
    </message>
</context>
<context>
    <name>HomePage</name>
    <message>
        <source>This installation needs attention (counter-app doctor):</source>
        <translation>本机安装有问题需要处理（counter-app doctor）：</translation>
    </message>
    <message>
        <source>Today at this counter</source>
        <translation>本柜台今日概况</translation>
    </message>
    <message>
        <source>Welcome, %1</source>
        <translation>%1，您好</translation>
    </message>
    <message>
        <source>Figures cover every operator working on this counter&apos;s database; times are %1.</source>
        <translation>统计范围为使用本柜台数据库的全部操作员；时间均为%1。</translation>
    </message>
    <message>
        <source>Services today</source>
        <translation>今日业务</translation>
    </message>
    <message>
        <source>Money today by method</source>
        <translation>今日收款（按方式）</translation>
    </message>
    <message>
        <source>Interrupted work</source>
        <translation>中断的业务</translation>
    </message>
    <message>
        <source>Certificates expiring within 30 days</source>
        <translation>30 天内到期的证书</translation>
    </message>
    <message>
        <source>Token in the reader</source>
        <translation>读卡器中的介质</translation>
    </message>
    <message>
        <source>At this counter</source>
        <translation>本柜台</translation>
    </message>
    <message>
        <source>By me</source>
        <translation>本人办理</translation>
    </message>
    <message>
        <source>Taken</source>
        <translation>收款</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>In the till</source>
        <translation>结存</translation>
    </message>
    <message>
        <source>Reading today&apos;s figures…</source>
        <translation>正在读取今日数据…</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Services waiting to be finished or rolled back: %1</source>
        <translation>等待完成或撤销的业务：%1 笔</translation>
    </message>
    <message>
        <source>None: every service was finished.</source>
        <translation>无：所有业务均已办结。</translation>
    </message>
    <message>
        <source>Day %1; refreshed by itself every %2 s.</source>
        <translation>%1；每 %2 秒自动刷新。</translation>
    </message>
    <message>
        <source>No token in the reader.</source>
        <translation>读卡器中没有介质。</translation>
    </message>
    <message>
        <source>looking up whose it is…</source>
        <translation>正在查询介质归属…</translation>
    </message>
    <message>
        <source>not issued at this counter (blank or foreign)</source>
        <translation>非本柜台签发（空白介质或外来介质）</translation>
    </message>
    <message>
        <source>%1, application %2</source>
        <translation>%1，申请编号 %2</translation>
    </message>
    <message>
        <source>%1 (%2): %3</source>
        <translation>%1（%2）：%3</translation>
    </message>
</context>
<context>
    <name>IdentityForm</name>
    <message>
        <source>Subscriber</source>
        <translation>订户</translation>
    </message>
    <message>
        <source>In&amp;dividual</source>
        <translation>个人(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Unit (with agent)</source>
        <translation>单位（经办人办理）(&amp;U)</translation>
    </message>
    <message>
        <source>D&amp;evice</source>
        <translation>设备(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>姓名(&amp;N)：</translation>
    </message>
    <message>
        <source>ID &amp;document type:</source>
        <translation>证件类型(&amp;D)：</translation>
    </message>
    <message>
        <source>ID n&amp;umber:</source>
        <translation>证件号码(&amp;U)：</translation>
    </message>
    <message>
        <source>&amp;Mobile:</source>
        <translation>手机号码(&amp;M)：</translation>
    </message>
    <message>
        <source>E-&amp;mail (optional):</source>
        <translation>电子邮箱（选填）(&amp;M)：</translation>
    </message>
    <message>
        <source>Unit &amp;name:</source>
        <translation>单位名称(&amp;N)：</translation>
    </message>
    <message>
        <source>Unified social &amp;credit code:</source>
        <translation>统一社会信用代码(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;Legal representative:</source>
        <translation>法定代表人(&amp;L)：</translation>
    </message>
    <message>
        <source>Unit social &amp;insurance no.:</source>
        <translation>单位社保编号(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Agent&apos;s name:</source>
        <translation>经办人姓名(&amp;A)：</translation>
    </message>
    <message>
        <source>Agent&apos;s ID document &amp;type:</source>
        <translation>经办人证件类型(&amp;T)：</translation>
    </message>
    <message>
        <source>Agent&apos;s ID n&amp;umber:</source>
        <translation>经办人证件号码(&amp;U)：</translation>
    </message>
    <message>
        <source>Agent&apos;s &amp;mobile:</source>
        <translation>经办人手机号码(&amp;M)：</translation>
    </message>
    <message>
        <source>Agent&apos;s e-mail (optional):</source>
        <translation>经办人电子邮箱（选填）：</translation>
    </message>
    <message>
        <source>Device &amp;name:</source>
        <translation>设备名称(&amp;N)：</translation>
    </message>
    <message>
        <source>Device &amp;identifier:</source>
        <translation>设备标识(&amp;I)：</translation>
    </message>
    <message>
        <source>Owner&apos;s unified social &amp;credit code:</source>
        <translation>所属单位统一社会信用代码(&amp;C)：</translation>
    </message>
    <message>
        <source>Documents seen</source>
        <translation>已查验的证明材料</translation>
    </message>
    <message>
        <source>Complete the subscriber&apos;s details to see which documents are required.</source>
        <translation>填写完订户信息后，这里会列出需要查验的证明材料。</translation>
    </message>
</context>
<context>
    <name>IdentityPage</name>
    <message>
        <source>number on the document</source>
        <translation>材料上的编号</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>身份信息</translation>
    </message>
    <message>
        <source>Required.</source>
        <translation>必填项。</translation>
    </message>
</context>
<context>
    <name>LockDialog</name>
    <message>
        <source>counter-app: locked</source>
        <translation>柜台系统：已锁定</translation>
    </message>
    <message>
        <source>The counter is locked</source>
        <translation>柜台已锁定</translation>
    </message>
    <message>
        <source>Operator %1: enter your password to go on.</source>
        <translation>操作员 %1：请输入密码继续办理。</translation>
    </message>
    <message>
        <source>&amp;Unlock</source>
        <translation>解锁(&amp;U)</translation>
    </message>
    <message>
        <source>Sign &amp;out</source>
        <translation>退出登录(&amp;O)</translation>
    </message>
    <message>
        <source>Enter your password.</source>
        <translation>请输入密码。</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>counter-app: sign in</source>
        <translation>柜台系统：登录</translation>
    </message>
    <message>
        <source>Opening the database…</source>
        <translation>正在打开数据库…</translation>
    </message>
    <message>
        <source>Enter your operator name and password.</source>
        <translation>请输入操作员名和密码。</translation>
    </message>
</context>
<context>
    <name>LoginForm</name>
    <message>
        <source>Operator sign-in</source>
        <translation>操作员登录</translation>
    </message>
    <message>
        <source>Operator &amp;name:</source>
        <translation>操作员名(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Sign in</source>
        <translation>登录(&amp;S)</translation>
    </message>
</context>
<context>
    <name>LookupForm</name>
    <message>
        <source>&amp;Find:</source>
        <translation>查找(&amp;F)：</translation>
    </message>
    <message>
        <source>name, ID number or USCC (end digits)</source>
        <translation>名称、证件号码或统一社会信用代码（尾号）</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>查询(&amp;S)</translation>
    </message>
    <message>
        <source>Change the status</source>
        <translation>变更证书状态</translation>
    </message>
    <message>
        <source>&amp;ID shown:</source>
        <translation>出示证件号码(&amp;I)：</translation>
    </message>
    <message>
        <source>number on the document shown (optional)</source>
        <translation>所出示证件上的号码（可选）</translation>
    </message>
    <message>
        <source>Revocation &amp;reason:</source>
        <translation>吊销原因(&amp;R)：</translation>
    </message>
    <message>
        <source>Revocation is final: I have told the subscriber</source>
        <translation>吊销不可恢复：已告知订户</translation>
    </message>
    <message>
        <source>S&amp;uspend</source>
        <translation>挂起(&amp;U)</translation>
    </message>
    <message>
        <source>R&amp;esume</source>
        <translation>解挂(&amp;E)</translation>
    </message>
    <message>
        <source>Re&amp;voke</source>
        <translation>吊销(&amp;V)</translation>
    </message>
</context>
<context>
    <name>LookupScreen</name>
    <message>
        <source>Active</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>Suspended</source>
        <translation>已挂起</translation>
    </message>
    <message>
        <source>Revoked</source>
        <translation>已吊销</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>Being issued</source>
        <translation>签发中</translation>
    </message>
    <message>
        <source>Key compromise</source>
        <translation>密钥泄露</translation>
    </message>
    <message>
        <source>Affiliation changed</source>
        <translation>隶属关系变更</translation>
    </message>
    <message>
        <source>Superseded</source>
        <translation>已被取代</translation>
    </message>
    <message>
        <source>Cessation of operation</source>
        <translation>停止使用</translation>
    </message>
    <message>
        <source>Unspecified</source>
        <translation>未说明</translation>
    </message>
    <message>
        <source>Any status</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>No certificate found.</source>
        <translation>未找到证书。</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效期</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Suspended.</source>
        <translation>已挂起。</translation>
    </message>
    <message>
        <source>Resumed.</source>
        <translation>已解挂。</translation>
    </message>
    <message>
        <source>Revoked.</source>
        <translation>已吊销。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;Counter</source>
        <translation>柜台(&amp;C)</translation>
    </message>
    <message>
        <source>No interrupted services.</source>
        <translation>没有中断的业务。</translation>
    </message>
    <message>
        <source>Not available yet in this version of counter-app.</source>
        <translation>本版本的柜台系统尚未提供此业务。</translation>
    </message>
    <message>
        <source>%1 is not available yet in this version.</source>
        <translation>本版本尚未提供“%1”业务。</translation>
    </message>
    <message>
        <source>Operator: %1 (%2)</source>
        <translation>操作员：%1（%2）</translation>
    </message>
    <message>
        <source>Token: checking…</source>
        <translation>证书介质：检测中…</translation>
    </message>
    <message>
        <source>Token: support not installed</source>
        <translation>证书介质：未安装介质支持</translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation>会话(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Home</source>
        <translation>首页(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Lock the counter</source>
        <translation>锁定柜台(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Change my password…</source>
        <translation>修改密码(&amp;C)…</translation>
    </message>
    <message>
        <source>&amp;About counter-app</source>
        <translation>关于柜台系统(&amp;A)</translation>
    </message>
    <message>
        <source>A service is still working; sign out when it has finished.</source>
        <translation>仍有业务正在处理，请在其完成后再退出登录。</translation>
    </message>
    <message>
        <source>Your password was changed.</source>
        <translation>您的密码已修改。</translation>
    </message>
    <message>
        <source>Finish or cancel the open %1 first.</source>
        <translation>请先完成或取消正在办理的“%1”。</translation>
    </message>
    <message>
        <source>Token: cannot read (%1)</source>
        <translation>证书介质：无法读取（%1）</translation>
    </message>
    <message>
        <source>Token: none inserted</source>
        <translation>证书介质：未插入</translation>
    </message>
    <message>
        <source>Token: %1</source>
        <translation>证书介质：%1</translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>处理中…</translation>
    </message>
    <message>
        <source>counter-app</source>
        <translation>柜台系统</translation>
    </message>
</context>
<context>
    <name>MainWindowForm</name>
    <message>
        <source>Services</source>
        <translation>业务</translation>
    </message>
</context>
<context>
    <name>OperatorsPage</name>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Locked until</source>
        <translation>锁定至</translation>
    </message>
    <message>
        <source>&amp;Disable</source>
        <translation>停用(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Unlock sign-in</source>
        <translation>解除登录锁定(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Reset password</source>
        <translation>重置密码(&amp;R)</translation>
    </message>
    <message>
        <source>Add an operator, or set the chosen one&apos;s password</source>
        <translation>添加操作员，或为所选操作员设置密码</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>姓名(&amp;N)：</translation>
    </message>
    <message>
        <source>R&amp;ole:</source>
        <translation>角色(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>Re&amp;peat:</source>
        <translation>再次输入(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Add operator</source>
        <translation>添加操作员(&amp;A)</translation>
    </message>
    <message>
        <source>Reset password sets the password typed above for the operator chosen in the list; tell them to change it at their first sign-in.</source>
        <translation>“重置密码”将上面输入的密码设为列表中所选操作员的密码；请告知其首次登录后自行修改。</translation>
    </message>
    <message>
        <source>active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>Type the password twice.</source>
        <translation>请输入两次密码。</translation>
    </message>
    <message>
        <source>Operator %1 added.</source>
        <translation>已添加操作员 %1。</translation>
    </message>
    <message>
        <source>Operator %1 disabled.</source>
        <translation>已停用操作员 %1。</translation>
    </message>
    <message>
        <source>%1 may sign in again.</source>
        <translation>%1 可以重新登录了。</translation>
    </message>
    <message>
        <source>Password of %1 set.</source>
        <translation>已设置 %1 的密码。</translation>
    </message>
</context>
<context>
    <name>RecordForm</name>
    <message>
        <source>This item is recorded at the RA only: no token is needed and the certificate stays as it is.</source>
        <translation>该应用项仅在注册中心登记：无需证书介质，证书不变。</translation>
    </message>
    <message>
        <source>&amp;Record the item</source>
        <translation>登记应用项(&amp;R)</translation>
    </message>
</context>
<context>
    <name>RecordPage</name>
    <message>
        <source>The certificate does not carry what changes: the change is recorded at the RA only, no token is needed and the certificate stays as it is.</source>
        <translation>证书不含所变更的信息：本次变更只在注册中心登记，无需证书介质，证书保持不变。</translation>
    </message>
    <message>
        <source>&amp;Record the change</source>
        <translation>登记变更(&amp;R)</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>登记</translation>
    </message>
</context>
<context>
    <name>RecoveryDialog</name>
    <message>
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>rolled back (refund the fee)</source>
        <translation>已回退（应退还费用）</translation>
    </message>
    <message>
        <source>waiting for the token</source>
        <translation>等待插入证书介质</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>recorded, no key yet</source>
        <translation>已登记，尚未生成密钥</translation>
    </message>
    <message>
        <source>key made on the token</source>
        <translation>密钥已在介质上生成</translation>
    </message>
    <message>
        <source>certificate issued, not yet on the token</source>
        <translation>证书已签发，尚未写入介质</translation>
    </message>
    <message>
        <source>certificate on the token</source>
        <translation>证书已写入介质</translation>
    </message>
    <message>
        <source>&amp;Recover interrupted services…</source>
        <translation>恢复中断的业务(&amp;R)…</translation>
    </message>
    <message>
        <source>counter-app: interrupted services</source>
        <translation>counter-app：中断的业务</translation>
    </message>
    <message>
        <source>%1  %2, stopped after step &apos;%3&apos;, token %4</source>
        <translation>%1  %2，中断于“%3”步骤之后，介质 %4</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <source>Working on the token…</source>
        <translation>正在操作证书介质……</translation>
    </message>
</context>
<context>
    <name>RecoveryForm</name>
    <message>
        <source>These services were interrupted (the program stopped or a token was removed). Insert the token named, enter its PIN, then finish them or roll them back.</source>
        <translation>以下业务曾中断（程序停止或证书介质被拔出）。请插入所列介质并输入其PIN码，然后选择完成或回退。</translation>
    </message>
    <message>
        <source>Token &amp;PIN:</source>
        <translation>介质PIN码(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Later</source>
        <translation>稍后(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Roll back</source>
        <translation>回退(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Finish</source>
        <translation>完成(&amp;F)</translation>
    </message>
</context>
<context>
    <name>ReplaceWizard</name>
    <message>
        <source>Make the new key and &amp;issue</source>
        <translation>生成新密钥并签发(&amp;I)</translation>
    </message>
</context>
<context>
    <name>ResultForm</name>
    <message>
        <source>Done.</source>
        <translation>办理完成。</translation>
    </message>
    <message>
        <source>Certificate serial:</source>
        <translation>证书序列号：</translation>
    </message>
    <message>
        <source>Valid:</source>
        <translation>有效期：</translation>
    </message>
    <message>
        <source>Token:</source>
        <translation>证书介质：</translation>
    </message>
    <message>
        <source>Application number:</source>
        <translation>申请编号：</translation>
    </message>
    <message>
        <source>Receipt number:</source>
        <translation>收据编号：</translation>
    </message>
    <message>
        <source>Fee:</source>
        <translation>费用：</translation>
    </message>
    <message>
        <source>Change due:</source>
        <translation>应找零：</translation>
    </message>
    <message>
        <source>Print &amp;receipt</source>
        <translation>打印收据(&amp;R)</translation>
    </message>
    <message>
        <source>Print &amp;application form</source>
        <translation>打印申请表(&amp;A)</translation>
    </message>
    <message>
        <source>Print a&amp;greement record</source>
        <translation>打印协议签署记录(&amp;G)</translation>
    </message>
    <message>
        <source>Print &amp;change form</source>
        <translation>打印变更表(&amp;C)</translation>
    </message>
</context>
<context>
    <name>ResultPage</name>
    <message>
        <source>Result</source>
        <translation>办理结果</translation>
    </message>
    <message>
        <source>Written to %1</source>
        <translation>已保存到 %1</translation>
    </message>
</context>
<context>
    <name>ReviewerDialog</name>
    <message>
        <source>counter-app: supervisor approval</source>
        <translation>counter-app：主管审批</translation>
    </message>
    <message>
        <source>counter-app: reviewer approval</source>
        <translation>counter-app：审核</translation>
    </message>
    <message>
        <source>Supervisor approval</source>
        <translation>主管审批</translation>
    </message>
    <message>
        <source>A fee waiver rests on a written notice and a supervisor, who signs in here to approve it. The clerk who took the application cannot approve it.</source>
        <translation>费用减免须有书面通知，并由主管在此登录批准。受理该申请的受理员不能批准。</translation>
    </message>
    <message>
        <source>Supervisor &amp;name:</source>
        <translation>主管(&amp;N)：</translation>
    </message>
    <message>
        <source>Enter the reviewer&apos;s password.</source>
        <translation>请输入审核员的密码。</translation>
    </message>
</context>
<context>
    <name>ReviewerForm</name>
    <message>
        <source>Reviewer approval</source>
        <translation>审核确认</translation>
    </message>
    <message>
        <source>A second operator (reviewer or supervisor) checks the application and signs in here to approve it. The clerk who took it cannot approve it.</source>
        <translation>由另一名操作员（审核员或主管）核对申请并在此登录确认。受理员不能审核自己受理的申请。</translation>
    </message>
    <message>
        <source>Reviewer &amp;name:</source>
        <translation>审核员(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Approve</source>
        <translation>确认审核(&amp;A)</translation>
    </message>
</context>
<context>
    <name>ReviewerPage</name>
    <message>
        <source>Subscriber: %1 (%2)</source>
        <translation>订户：%1（%2）</translation>
    </message>
    <message>
        <source>Contact: %1</source>
        <translation>联系方式：%1</translation>
    </message>
    <message>
        <source>Legal representative: %1</source>
        <translation>法定代表人：%1</translation>
    </message>
    <message>
        <source>Agent: %1</source>
        <translation>经办人：%1</translation>
    </message>
    <message>
        <source>Documents seen: %1</source>
        <translation>已查验证件和材料：%1</translation>
    </message>
    <message>
        <source>Certificate: %1</source>
        <translation>证书：%1</translation>
    </message>
    <message>
        <source>Certificate type: %1</source>
        <translation>证书种类：%1</translation>
    </message>
    <message>
        <source>Key algorithm: %1</source>
        <translation>密钥算法：%1</translation>
    </message>
    <message>
        <source>Agreement accepted: version %1</source>
        <translation>已接受协议：第 %1 版</translation>
    </message>
    <message>
        <source>Fee: ¥%1</source>
        <translation>应收费用：¥%1</translation>
    </message>
    <message>
        <source>Cash received: ¥%1</source>
        <translation>实收现金：¥%1</translation>
    </message>
    <message>
        <source>Paid by card</source>
        <translation>刷卡支付</translation>
    </message>
    <message>
        <source>Paid by transfer</source>
        <translation>转账支付</translation>
    </message>
    <message>
        <source>Waiver %1, approved by %2</source>
        <translation>费用减免 %1，批准人 %2</translation>
    </message>
    <message>
        <source>The reviewer approves an &amp;additional certificate for this subscriber</source>
        <translation>审核人批准为该订户增发一张同类证书(&amp;A)</translation>
    </message>
    <message>
        <source>Reviewer &amp;sign-in…</source>
        <translation>审核员登录(&amp;S)…</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>审核</translation>
    </message>
    <message>
        <source>Not yet approved.</source>
        <translation>尚未审核。</translation>
    </message>
    <message>
        <source>Approved by %1.</source>
        <translation>已由 %1 审核。</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>RA name (printed on forms)</source>
        <translation>注册中心名称（打印在表单上）</translation>
    </message>
    <message>
        <source>Token module (PKCS#11 / SKF)</source>
        <translation>介质驱动（PKCS#11 / SKF）</translation>
    </message>
    <message>
        <source>Printer</source>
        <translation>打印机</translation>
    </message>
    <message>
        <source>Idle lock after (minutes, 0 = off)</source>
        <translation>空闲锁定时间（分钟，0 为不锁定）</translation>
    </message>
    <message>
        <source>Time zone</source>
        <translation>时区</translation>
    </message>
    <message>
        <source>SMTP server</source>
        <translation>SMTP 服务器</translation>
    </message>
    <message>
        <source>SMTP port</source>
        <translation>SMTP 端口</translation>
    </message>
    <message>
        <source>SMTP sender address</source>
        <translation>SMTP 发件地址</translation>
    </message>
    <message>
        <source>&amp;Save settings</source>
        <translation>保存设置(&amp;S)</translation>
    </message>
    <message>
        <source>Saved to config.toml in the data directory; the counter uses them from the next sign-in. Passwords (SMTP, PINs) are never settings: they come from the environment.</source>
        <translation>保存到数据目录中的 config.toml，下次登录起生效。密码（SMTP 密码、PIN 码）不作为设置保存，只从环境变量读取。</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>没有修改。</translation>
    </message>
    <message>
        <source>Settings saved; they apply from the next sign-in.</source>
        <translation>设置已保存，下次登录起生效。</translation>
    </message>
</context>
<context>
    <name>SigningPage</name>
    <message>
        <source>Root CA</source>
        <translation>根 CA</translation>
    </message>
    <message>
        <source>Issuing CA</source>
        <translation>签发 CA</translation>
    </message>
    <message>
        <source>OCSP responder</source>
        <translation>OCSP 响应器</translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Days left</source>
        <translation>剩余天数</translation>
    </message>
    <message>
        <source>&amp;Check again</source>
        <translation>重新检查(&amp;C)</translation>
    </message>
    <message>
        <source>Reading the signing module…</source>
        <translation>正在读取签发模块…</translation>
    </message>
    <message>
        <source>passphrase-encrypted files (PKCS#8)</source>
        <translation>口令加密的文件（PKCS#8）</translation>
    </message>
    <message>
        <source>a hardware security module</source>
        <translation>硬件密码模块</translation>
    </message>
    <message>
        <source>Key algorithm %1, keys kept in %2; times are %3.</source>
        <translation>密钥算法 %1，密钥存放于%2；时间均为%3。</translation>
    </message>
    <message>
        <source>No CRL has been published yet.</source>
        <translation>尚未发布证书吊销列表（CRL）。</translation>
    </message>
    <message>
        <source>CRL number %1, published %2, next update %3.</source>
        <translation>CRL 编号 %1，发布于 %2，下次更新 %3。</translation>
    </message>
    <message>
        <source>Overdue: publish a new CRL now (counter-app ca crl).</source>
        <translation>已过期：请立即发布新的 CRL（counter-app ca crl）。</translation>
    </message>
</context>
<context>
    <name>SubscriberScreen</name>
    <message>
        <source>For the subscriber</source>
        <translation>订户屏</translation>
    </message>
    <message>
        <source>Please read the agreement, check the fee and sign below</source>
        <translation>请阅读协议、核对费用，并在下方签名</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>付款</translation>
    </message>
    <message>
        <source>Fee:</source>
        <translation>费用：</translation>
    </message>
    <message>
        <source>Amount tendered:</source>
        <translation>实收金额：</translation>
    </message>
    <message>
        <source>Change:</source>
        <translation>找零：</translation>
    </message>
    <message>
        <source>Your signature</source>
        <translation>您的签名</translation>
    </message>
    <message>
        <source>Sign in the white box with the mouse, a pen or your finger.</source>
        <translation>请用鼠标、手写笔或手指在白色区域内签名。</translation>
    </message>
    <message>
        <source>&amp;Clear</source>
        <translation>清除(&amp;C)</translation>
    </message>
</context>
<context>
    <name>SubscribersScreen</name>
    <message>
        <source>Name, ID number, USCC, agent&apos;s ID, token serial, receipt or application no.</source>
        <translation>姓名、证件号、统一社会信用代码、经办人证件号、介质序列号、收据或申请编号</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>查询(&amp;S)</translation>
    </message>
    <message>
        <source>Found by</source>
        <translation>匹配项</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>证书种类</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>受理时间</translation>
    </message>
    <message>
        <source>Key algorithm</source>
        <translation>密钥算法</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>证件/材料</translation>
    </message>
    <message>
        <source>Seen</source>
        <translation>查验日期</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>经办人</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>证件号码</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>起始日期</translation>
    </message>
    <message>
        <source>Documents seen</source>
        <translation>已查验的证明材料</translation>
    </message>
    <message>
        <source>Agents over time</source>
        <translation>历任经办人</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Applications</source>
        <translation>申请</translation>
    </message>
    <message>
        <source>Payments and refunds</source>
        <translation>收费与退款</translation>
    </message>
    <message>
        <source>Documents and agents</source>
        <translation>材料与经办人</translation>
    </message>
    <message>
        <source>Reprint receipt</source>
        <translation>补打收费凭证</translation>
    </message>
    <message>
        <source>Reprint application form</source>
        <translation>补打申请表</translation>
    </message>
    <message>
        <source>Reprint agreement record</source>
        <translation>补打协议签署记录</translation>
    </message>
    <message>
        <source>Reprint change form</source>
        <translation>补打变更表</translation>
    </message>
    <message>
        <source>No subscriber found.</source>
        <translation>未找到订户。</translation>
    </message>
    <message>
        <source>name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>ID number / USCC</source>
        <translation>证件号/统一社会信用代码</translation>
    </message>
    <message>
        <source>agent&apos;s ID</source>
        <translation>经办人证件号</translation>
    </message>
    <message>
        <source>token serial</source>
        <translation>介质序列号</translation>
    </message>
    <message>
        <source>receipt</source>
        <translation>收据编号</translation>
    </message>
    <message>
        <source>application</source>
        <translation>申请编号</translation>
    </message>
    <message>
        <source>Individual</source>
        <translation>个人</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Search, then choose a subscriber.</source>
        <translation>请先查找，再选择订户。</translation>
    </message>
    <message>
        <source>in progress</source>
        <translation>办理中</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已办结</translation>
    </message>
    <message>
        <source>rolled back</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>payment</source>
        <translation>收费</translation>
    </message>
    <message>
        <source>refund</source>
        <translation>退款</translation>
    </message>
</context>
<context>
    <name>TokenChooserForm</name>
    <message>
        <source>Insert the subscriber&apos;s token and choose it. Do not remove it until done.</source>
        <translation>请插入订户的证书介质并选中。办理完成前请勿拔出。</translation>
    </message>
    <message>
        <source>No token inserted.</source>
        <translation>未插入证书介质。</translation>
    </message>
</context>
<context>
    <name>TokenStepForm</name>
    <message>
        <source>Token &amp;PIN:</source>
        <translation>介质PIN码(&amp;P)：</translation>
    </message>
</context>
<context>
    <name>TokenStepPage</name>
    <message>
        <source>Making the key on the token and issuing the certificate…</source>
        <translation>正在介质上生成密钥并签发证书……</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>证书介质</translation>
    </message>
    <message>
        <source>The token was removed while it was in use. Wait for this step to report; if it was interrupted, re-insert the token and use Recover.</source>
        <translation>证书介质在使用中被拔出。请等待本步骤给出结果；如业务中断，请重新插入介质并使用“恢复中断的业务”。</translation>
    </message>
</context>
<context>
    <name>UnlockCaForm</name>
    <message>
        <source>Open the signing module</source>
        <translation>打开签发模块</translation>
    </message>
    <message>
        <source>The signing module&apos;s keys are encrypted. Its passphrase is used once to open them and is not kept.</source>
        <translation>签发模块的密钥已加密。口令仅用于本次打开，不会保存。</translation>
    </message>
    <message>
        <source>&amp;Passphrase:</source>
        <translation>口令(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
</context>
<context>
    <name>UnlockDialog</name>
    <message>
        <source>counter-app: open the signing module</source>
        <translation>counter-app：打开签发模块</translation>
    </message>
    <message>
        <source>Enter the signing module&apos;s passphrase.</source>
        <translation>请输入签发模块的口令。</translation>
    </message>
    <message>
        <source>Opening the signing module…</source>
        <translation>正在打开签发模块……</translation>
    </message>
</context>
<context>
    <name>UnlockTokenForm</name>
    <message>
        <source>&amp;SO PIN:</source>
        <translation>管理员PIN码(&amp;S)：</translation>
    </message>
    <message>
        <source>Subscriber&apos;s &amp;ID number:</source>
        <translation>订户证件号码(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;New PIN:</source>
        <translation>新PIN码(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Repeat new PIN:</source>
        <translation>再次输入新PIN码(&amp;R)：</translation>
    </message>
</context>
<context>
    <name>UnlockTokenPage</name>
    <message>
        <source>The two new PINs differ.</source>
        <translation>两次输入的新PIN码不一致。</translation>
    </message>
</context>
<context>
    <name>UnlockWizard</name>
    <message>
        <source>&amp;Unlock the PIN</source>
        <translation>解锁PIN码(&amp;U)</translation>
    </message>
    <message>
        <source>Resetting the PIN…</source>
        <translation>正在重置PIN码……</translation>
    </message>
</context>
<context>
    <name>WizardView</name>
    <message>
        <source>&lt; &amp;Back</source>
        <translation>&lt; 上一步(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Next &gt;</source>
        <translation>下一步(&amp;N) &gt;</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Step %1 of %2: %3</source>
        <translation>第 %1 步，共 %2 步：%3</translation>
    </message>
    <message>
        <source>&amp;Finish</source>
        <translation>完成(&amp;F)</translation>
    </message>
</context>
<context>
    <name>columns</name>
    <message>
        <source>Serial</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>Subscriber</source>
        <translation>订户</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>到期日</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>证书介质</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Application</source>
        <translation>申请编号</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>业务</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>身份信息</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
</context>
<context>
    <name>documents</name>
    <message>
        <source>Resident identity card</source>
        <translation>居民身份证</translation>
    </message>
    <message>
        <source>Passport</source>
        <translation>护照</translation>
    </message>
    <message>
        <source>Mainland travel permit (HK/Macao)</source>
        <translation>港澳居民来往内地通行证</translation>
    </message>
    <message>
        <source>Mainland travel permit (Taiwan)</source>
        <translation>台湾居民来往大陆通行证</translation>
    </message>
    <message>
        <source>Business licence</source>
        <translation>营业执照</translation>
    </message>
    <message>
        <source>Letter of authorisation</source>
        <translation>授权委托书</translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <source>In this window: menu Counter → Recover interrupted services.</source>
        <translation>在本窗口中：菜单“柜台”→“恢复中断的业务”。</translation>
    </message>
    <message>
        <source>Internal error (%1). The details were written to the log; please tell the administrator.</source>
        <translation>内部错误（%1）。详细信息已写入日志，请告知管理员。</translation>
    </message>
</context>
<context>
    <name>methods</name>
    <message>
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>刷卡</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>转账</translation>
    </message>
    <message>
        <source>Waiver</source>
        <translation>费用减免</translation>
    </message>
    <message>
        <source>No fee</source>
        <translation>免收费用</translation>
    </message>
</context>
<context>
    <name>roles</name>
    <message>
        <source>Clerk</source>
        <translation>受理员</translation>
    </message>
    <message>
        <source>Reviewer</source>
        <translation>审核员</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
</context>
<context>
    <name>services</name>
    <message>
        <source>Enroll</source>
        <translation>新办</translation>
    </message>
    <message>
        <source>Renew</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>变更</translation>
    </message>
    <message>
        <source>Add item</source>
        <translation>增加应用项</translation>
    </message>
    <message>
        <source>Suspend</source>
        <translation>挂起</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>解挂</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>吊销</translation>
    </message>
    <message>
        <source>Reissue</source>
        <translation>补办</translation>
    </message>
    <message>
        <source>Unlock PIN</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Look up</source>
        <translation>查询</translation>
    </message>
    <message>
        <source>Home</source>
        <translation>首页</translation>
    </message>
    <message>
        <source>Subscribers</source>
        <translation>订户</translation>
    </message>
    <message>
        <source>Batch renewal</source>
        <translation>批量更新</translation>
    </message>
    <message>
        <source>Supervisor&apos;s desk</source>
        <translation>主管工作台</translation>
    </message>
    <message>
        <source>Operators</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Signing module</source>
        <translation>签发模块</translation>
    </message>
</context>
</TS>
