<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AgreementForm</name>
    <message>
        <source>Let the subscriber read the whole agreement. "Accepted" can be ticked once the text has been scrolled to the end.</source>
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
        <source>Agreement</source>
        <translation>服务协议</translation>
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
        <source>&amp;Agent's name:</source>
        <translation>经办人姓名(&amp;A)：</translation>
    </message>
    <message>
        <source>Agent's ID document &amp;type:</source>
        <translation>经办人证件类型(&amp;T)：</translation>
    </message>
    <message>
        <source>Agent's ID n&amp;umber:</source>
        <translation>经办人证件号码(&amp;U)：</translation>
    </message>
    <message>
        <source>Agent's &amp;mobile:</source>
        <translation>经办人手机号码(&amp;M)：</translation>
    </message>
    <message>
        <source>Agent's e-mail (optional):</source>
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
        <source>Owner's unified social &amp;credit code:</source>
        <translation>所属单位统一社会信用代码(&amp;C)：</translation>
    </message>
    <message>
        <source>Documents seen</source>
        <translation>已查验的证明材料</translation>
    </message>
    <message>
        <source>Complete the subscriber's details to see which documents are required.</source>
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
    <name>LoginDialog</name>
    <message>
        <source>counter-app: sign in</source>
        <translation>柜台系统：登录</translation>
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
    <name>MainWindow</name>
    <message>
        <source>counter-app: RA front counter</source>
        <translation>数字证书注册中心柜台系统</translation>
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
        <source>Choose a service on the left, or press its shortcut (Ctrl+1 … Ctrl+0).</source>
        <translation>请在左侧选择业务，或按对应的快捷键（Ctrl+1 … Ctrl+0）。</translation>
    </message>
    <message>
        <source>Operator: %1 (%2)</source>
        <translation>操作员：%1（%2）</translation>
    </message>
    <message>
        <source>Token: checking…</source>
        <translation>USB Key：检测中…</translation>
    </message>
    <message>
        <source>Token: support not installed</source>
        <translation>USB Key：未安装介质支持</translation>
    </message>
    <message>
        <source>Token: cannot read (%1)</source>
        <translation>USB Key：无法读取（%1）</translation>
    </message>
    <message>
        <source>Token: none inserted</source>
        <translation>USB Key：未插入</translation>
    </message>
    <message>
        <source>Token: %1</source>
        <translation>USB Key：%1</translation>
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
    <name>NotYetAvailablePage</name>
    <message>
        <source>Fee, review, token and hand-over are not available yet in this version. Nothing has been saved.</source>
        <translation>本版本尚未提供收费、审核、制证和交付步骤。未保存任何数据。</translation>
    </message>
    <message>
        <source>Not available yet</source>
        <translation>尚未提供</translation>
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
        <source>Internal error (%1). The details were written to the log; please tell the administrator.</source>
        <translation>内部错误（%1）。详细信息已写入日志，请告知管理员。</translation>
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
</context>
</TS>