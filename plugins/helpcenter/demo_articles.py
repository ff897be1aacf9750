"""The demo help center: three categories and the articles a business would publish first.

Kept as data so the text can be read and corrected on its own; ``customer_data.add_demo`` writes it
through ``service`` like any article staff save. Each text has its Persian translation.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ALL_CUSTOMERS, EVERYONE


@dataclass(frozen=True)
class DemoCategory:
    name: str
    name_fa: str
    position: int


@dataclass(frozen=True)
class DemoArticle:
    category: str
    audience: str
    title: str
    body: str
    title_fa: str
    body_fa: str


ACCOUNT = "Your account"
ORDERS = "Orders and delivery"
POINTS = "Points and rewards"

CATEGORIES = (
    DemoCategory(ACCOUNT, "حساب کاربری شما", 1),
    DemoCategory(ORDERS, "سفارش و ارسال", 2),
    DemoCategory(POINTS, "امتیاز و جایزه", 3),
)

ARTICLES = (
    DemoArticle(
        category=ACCOUNT,
        audience=EVERYONE,
        title="How do I reset my password?",
        body="""If you forgot your password, you can choose a new one in a minute.

1. Open the sign-in page and choose **Forgot your password?**
2. Type the email address of your account and send the form.
3. Open the email we send you and follow its link. The link works for one hour.
4. Type your new password twice and save it.

Then sign in with your new password. For your safety, your account is signed out on every other device.

## No email arrived?

- Look in your spam or junk folder.
- Check that you typed the address you signed up with.
- Wait a few minutes and try again: the newest link is the one that works.
""",
        title_fa="چطور رمز عبورم را بازنشانی کنم؟",
        body_fa="""اگر رمز عبورتان را فراموش کرده‌اید، در یک دقیقه می‌توانید رمز تازه‌ای بگذارید.

1. صفحهٔ ورود را باز کنید و **رمز عبور خود را فراموش کرده‌اید؟** را بزنید.
2. نشانی ایمیل حساب‌تان را بنویسید و فرم را بفرستید.
3. ایمیلی را که برایتان می‌فرستیم باز کنید و پیوند آن را بزنید. این پیوند تا یک ساعت کار می‌کند.
4. رمز عبور تازه را دو بار بنویسید و ذخیره کنید.

سپس با رمز تازه وارد شوید. برای امنیت شما، در همهٔ دستگاه‌های دیگر از حساب‌تان خارج می‌شوید.

## ایمیلی نرسید؟

- پوشهٔ هرزنامه را هم نگاه کنید.
- مطمئن شوید نشانی‌ای را نوشته‌اید که با آن ثبت‌نام کرده‌اید.
- چند دقیقه صبر کنید و دوباره امتحان کنید: فقط تازه‌ترین پیوند کار می‌کند.
""",
    ),
    DemoArticle(
        category=ACCOUNT,
        audience=EVERYONE,
        title="How do I change my email address?",
        body="""You can change the address we write to at any time.

1. Sign in and open **Account**, then the **Email address** tab.
2. Type your new address and your current password, and save.
3. We send a confirmation link to the new address. Open it to finish the change.

Until you confirm, we keep writing to your old address, so you never miss a message. If the link
does not arrive, check the spelling of the new address and look in its spam folder.
""",
        title_fa="چطور نشانی ایمیلم را تغییر دهم؟",
        body_fa="""هر وقت بخواهید می‌توانید نشانی‌ای را که برایش ایمیل می‌فرستیم تغییر دهید.

1. وارد شوید، **حساب** و سپس زبانهٔ **نشانی ایمیل** را باز کنید.
2. نشانی تازه و رمز عبور فعلی‌تان را بنویسید و ذخیره کنید.
3. پیوند تأییدی به نشانی تازه می‌فرستیم. آن را باز کنید تا تغییر کامل شود.

تا وقتی تأیید نکرده‌اید، به همان نشانی قبلی می‌نویسیم تا هیچ پیامی را از دست ندهید. اگر پیوند نرسید،
درستی نشانی تازه را بررسی کنید و پوشهٔ هرزنامهٔ آن را هم ببینید.
""",
    ),
    DemoArticle(
        category=ORDERS,
        audience=EVERYONE,
        title="How do I track my order?",
        body="""As soon as your order leaves our warehouse, we email you its tracking number.

- Open the email **Your order is on its way** and choose **Track your parcel**.
- Or go to the courier's website and type the tracking number there.

Most orders arrive within 2 to 5 working days. Tracking can take up to 24 hours to show the first
scan, so do not worry if it says nothing on the first day.

If your parcel has not moved for 3 working days, open a ticket with your order number and we will
ask the courier for you.
""",
        title_fa="چطور سفارشم را پیگیری کنم؟",
        body_fa="""به محض اینکه سفارش‌تان از انبار ما بیرون برود، کد رهگیری آن را برایتان ایمیل می‌کنیم.

- ایمیل **سفارش شما در راه است** را باز کنید و **پیگیری مرسوله** را بزنید.
- یا به وب‌سایت شرکت پست یا پیک بروید و کد رهگیری را آنجا بنویسید.

بیشتر سفارش‌ها ظرف ۲ تا ۵ روز کاری می‌رسند. ممکن است تا ۲۴ ساعت طول بکشد تا نخستین وضعیت مرسوله
نمایش داده شود، پس اگر روز اول چیزی نشان نداد نگران نباشید.

اگر مرسوله‌تان ۳ روز کاری جابه‌جا نشد، با شمارهٔ سفارش یک درخواست پشتیبانی ثبت کنید تا ما از طرف شما
پیگیری کنیم.
""",
    ),
    DemoArticle(
        category=ORDERS,
        audience=EVERYONE,
        title="How do I return an item?",
        body="""You may return most items within 14 days of delivery, unused and in their original packaging.

1. Open a ticket, choose the category **question**, and write the order number and the item you
   are returning.
2. We reply with a return label and the address to send it to.
3. Pack the item well, stick the label on the parcel and hand it to the courier.

We refund you within 5 working days of receiving the item, to the card or account you paid with.

Items made to order, opened software and gift cards cannot be returned unless they are faulty.
""",
        title_fa="چطور کالایی را مرجوع کنم؟",
        body_fa="""بیشتر کالاها را تا ۱۴ روز پس از تحویل، استفاده‌نشده و در بسته‌بندی اصلی، می‌توانید پس بفرستید.

1. یک درخواست پشتیبانی ثبت کنید، دستهٔ **پرسش** را برگزینید و شمارهٔ سفارش و کالایی را که پس می‌فرستید
   بنویسید.
2. در پاسخ، برچسب مرجوعی و نشانی ارسال را برایتان می‌فرستیم.
3. کالا را خوب بسته‌بندی کنید، برچسب را روی بسته بچسبانید و آن را به پیک یا پست بدهید.

ظرف ۵ روز کاری پس از رسیدن کالا، مبلغ را به همان کارت یا حسابی که با آن پرداخت کرده‌اید برمی‌گردانیم.

کالاهای سفارشی، نرم‌افزارهای بازشده و کارت‌های هدیه پس گرفته نمی‌شوند، مگر آنکه ایراد داشته باشند.
""",
    ),
    DemoArticle(
        category=POINTS,
        audience=EVERYONE,
        title="How do I earn points?",
        body="""You earn loyalty points every time you buy from us while signed in.

- **Purchases:** points for every unit of currency you spend. The more you buy in a year, the
  higher your tier, and higher tiers earn more points per purchase.
- **Feedback:** rate a support ticket or answer one of our surveys and you may earn a few points
  as thanks.
- **Welcome:** new members get welcome points when they join.

Your balance and every point you earned or spent are on the **Loyalty** page. Points from a
purchase appear once the purchase is recorded, usually the same day.
""",
        title_fa="چطور امتیاز بگیرم؟",
        body_fa="""هر بار که با حساب کاربری خود از ما خرید کنید، امتیاز وفاداری می‌گیرید.

- **خرید:** به ازای هر واحد پولی که خرج می‌کنید امتیاز می‌گیرید. هر چه در یک سال بیشتر خرید کنید،
  سطح‌تان بالاتر می‌رود و در سطح‌های بالاتر به ازای هر خرید امتیاز بیشتری می‌گیرید.
- **نظر دادن:** اگر به یک درخواست پشتیبانی امتیاز بدهید یا به یکی از نظرسنجی‌های ما پاسخ دهید،
  ممکن است به رسم قدردانی چند امتیاز بگیرید.
- **خوشامد:** عضوهای تازه هنگام پیوستن امتیاز خوشامد می‌گیرند.

موجودی و همهٔ امتیازهایی که گرفته یا خرج کرده‌اید در صفحهٔ **باشگاه وفاداری** آمده است. امتیاز هر
خرید پس از ثبت آن، معمولاً همان روز، نمایش داده می‌شود.
""",
    ),
    DemoArticle(
        category=POINTS,
        audience=EVERYONE,
        title="When do my points expire?",
        body="""Points stay valid for a set number of months after the day you earn them. The oldest
points are spent first, so you lose as little as possible.

- The **Loyalty** page shows how many points expire next, and on which day.
- We email you a few days before any of your points expire, so you have time to use them.
- Points you have spent on a reward never expire: the voucher is yours.

Points that expired cannot be given back, but if you think points expired by mistake, open a
ticket and we will look at your history with you.
""",
        title_fa="امتیازهایم کی منقضی می‌شوند؟",
        body_fa="""امتیازها از روزی که آنها را می‌گیرید تا چند ماه معتبرند. همیشه قدیمی‌ترین امتیازها
اول خرج می‌شوند تا کمترین امتیاز از دست برود.

- در صفحهٔ **باشگاه وفاداری** می‌بینید چند امتیاز و در چه روزی منقضی می‌شوند.
- چند روز پیش از انقضای امتیازهایتان برایتان ایمیل می‌فرستیم تا فرصت داشته باشید از آنها استفاده کنید.
- امتیازی که برای یک جایزه خرج کرده‌اید دیگر منقضی نمی‌شود: کد تخفیف مال شماست.

امتیاز منقضی‌شده برنمی‌گردد، اما اگر فکر می‌کنید امتیازی به اشتباه منقضی شده است، یک درخواست پشتیبانی
ثبت کنید تا سابقهٔ آن را با هم بررسی کنیم.
""",
    ),
    DemoArticle(
        category=ORDERS,
        audience=ALL_CUSTOMERS,
        title="How do I download an invoice?",
        body="""Every invoice we send you is kept in your account.

1. Sign in and open **Documents**.
2. Choose the category **Invoice** to see only invoices, or search for the invoice number.
3. Open the invoice and choose **Download**.

Invoices are PDF files you can print or forward to your accounts department. If an invoice is
missing or its details are wrong (a company name or a tax number), open a ticket and we will send
a corrected one.
""",
        title_fa="چطور صورت‌حسابم را دریافت کنم؟",
        body_fa="""هر صورت‌حسابی که برایتان می‌فرستیم در حساب کاربری شما نگه داشته می‌شود.

1. وارد شوید و صفحهٔ **اسناد** را باز کنید.
2. دستهٔ **صورت‌حساب** را برگزینید تا فقط صورت‌حساب‌ها را ببینید، یا شمارهٔ صورت‌حساب را جستجو کنید.
3. صورت‌حساب را باز کنید و **دریافت** را بزنید.

صورت‌حساب‌ها فایل PDF هستند و می‌توانید آنها را چاپ کنید یا برای واحد حسابداری‌تان بفرستید. اگر
صورت‌حسابی نیست یا مشخصات آن (نام شرکت یا شناسهٔ مالیاتی) نادرست است، یک درخواست پشتیبانی ثبت کنید
تا صورت‌حساب درست را برایتان بفرستیم.
""",
    ),
    DemoArticle(
        category=ACCOUNT,
        audience=EVERYONE,
        title="How do I contact support?",
        body="""Most questions are answered in this help center: search for a few words first.

If you still need us, open a ticket:

1. Sign in and open **Support**, then **Open a ticket**.
2. Write a short subject and describe what happened. Add screenshots or files if they help.
3. Send it. We email you when an agent answers, and you can reply from the email or from your
   account.

We answer on working days, usually within one day. Please open one ticket per question and reply
to the same ticket with more details: a new ticket for the same question puts you back in the
queue.
""",
        title_fa="چطور با پشتیبانی تماس بگیرم؟",
        body_fa="""پاسخ بیشتر پرسش‌ها در همین مرکز راهنما هست: اول چند کلمه جستجو کنید.

اگر باز هم به ما نیاز داشتید، یک درخواست پشتیبانی ثبت کنید:

1. وارد شوید، **پشتیبانی** و سپس **ثبت درخواست پشتیبانی** را بزنید.
2. موضوعی کوتاه بنویسید و شرح دهید چه پیش آمده است. اگر تصویر یا فایلی کمک می‌کند، پیوست کنید.
3. آن را بفرستید. وقتی کارشناس پاسخ دهد برایتان ایمیل می‌فرستیم و می‌توانید از همان ایمیل یا از
   حساب کاربری‌تان پاسخ دهید.

در روزهای کاری، معمولاً ظرف یک روز، پاسخ می‌دهیم. لطفاً برای هر پرسش یک درخواست ثبت کنید و جزئیات
بیشتر را در پاسخ به همان درخواست بنویسید: درخواست تازه برای همان پرسش شما را به انتهای صف می‌برد.
""",
    ),
)
