"""What the Telegram bot says to tourists, in Russian, Kazakh and English: one
dict per language (not gettext: the interface has no Kazakh catalogue, and
these are the tourist's words, not the agents'). Placeholders are
``str.format`` fields; every language has every key (a test checks it)."""

LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}

RU = {
    "choose_language": "Здравствуйте! Я помогу подобрать тур во Вьетнам из Алматы или Астаны. "
                       "Выберите язык общения:",
    "ask_destination": "Куда хотите поехать? Выберите курорт или напишите своими словами, например: "
                       "«Нячанг в марте на 10 ночей вдвоём».",
    "ask_dates": "Когда хотите вылететь? Выберите месяц или напишите даты, например: «с 10 по 20 марта».",
    "ask_nights": "Сколько ночей будет отдых?",
    "ask_travellers": "Кто едет? Выберите или напишите, например: «2 взрослых и ребёнок 5 лет».",
    "not_understood": "Не получилось разобрать ответ.",
    "offers_header": "Вот что есть сейчас: {summary}. Цена за всех, с перелётом и проживанием:",
    "offer_line": "{hotel} {stars}, {resort}\n{checkin}, {nights}, {meal} — {price}",
    "over_budget": "В названный бюджет ничего не нашлось — вот самые недорогие варианты.",
    "assumed_age": "Цены посчитаны для ребёнка {age} лет — если возраст другой, напишите, например: «ребёнок 5 лет».",
    "offers_footer": "Нажмите «Забронировать» под понравившимся вариантом, или напишите, что изменить.",
    "offers_prompt": "Выберите вариант кнопкой «Забронировать», нажмите «Другие даты» или напишите, "
                     "что изменить, например: «на 14 ночей».",
    "no_offers": "На эти даты туров не нашлось. Попробуйте другие даты или напишите менеджеру.",
    "samo_down": "Сейчас не получается загрузить цены туроператора. Попробуйте чуть позже или передайте "
                 "запрос менеджеру — он подберёт тур вручную.",
    "offer_gone": "Этого варианта уже нет: цены и места у туроператора меняются.",
    "price_changed": "Цена этого варианта у туроператора изменилась, теперь она {price}.",
    "booked": "Спасибо! Заявка № {number} принята:\n{offer}\n\n{agent_line}\n"
              "Цена и места окончательно подтверждаются при бронировании у туроператора.",
    "agent_line_named": "Менеджер {agent} проверит наличие мест и напишет вам здесь, чтобы оформить поездку.",
    "agent_line": "Менеджер проверит наличие мест и напишет вам здесь, чтобы оформить поездку.",
    "already_booked": "Заявка № {number} уже принята, менеджер скоро напишет вам здесь.",
    "handed_over_named": "Передал ваш запрос менеджеру — {agent}. Ответ придёт здесь же. "
                         "Чтобы снова подобрать тур, отправьте /start.",
    "handed_over": "Передал ваш запрос менеджеру. Ответ придёт здесь же. Чтобы снова подобрать тур, отправьте /start.",
    "with_agent": "С вами уже работает менеджер. Чтобы подобрать тур заново, отправьте /start.",
    "button_book": "Забронировать {number}",
    "button_other_dates": "Другие даты",
    "button_agent": "Связаться с менеджером",
    "button_retry": "Попробовать снова",
    "all_country": "Весь Вьетнам",
    "summary_departure": "вылет из {city}",
    "nights": ("ночь", "ночи", "ночей"),
    "adults": ("взрослый", "взрослых", "взрослых"),
    "children": ("ребёнок", "ребёнка", "детей"),
    "months": ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
               "Ноябрь", "Декабрь"),
    "places": {"Vietnam": "Вьетнам", "Nha Trang": "Нячанг", "Phu Quoc": "Фукуок", "Da Nang": "Дананг",
               "Phan Thiet": "Фантьет", "Cam Ranh": "Камрань"},
    "departures": {"Almaty": "Алматы", "Astana": "Астаны"},
    "meals": {"RO": "без питания", "BB": "завтраки", "HB": "полупансион", "FB": "полный пансион",
              "AI": "всё включено", "UAI": "ультра всё включено"},
}

KK = {
    "choose_language": "Сәлеметсіз бе! Мен Алматы немесе Астанадан Вьетнамға тур таңдауға көмектесемін. "
                       "Сөйлесу тілін таңдаңыз:",
    "ask_destination": "Қайда барғыңыз келеді? Курортты таңдаңыз немесе өз сөзіңізбен жазыңыз.",
    "ask_dates": "Қашан ұшқыңыз келеді? Айды таңдаңыз немесе күндерді жазыңыз.",
    "ask_nights": "Демалыс неше түнге созылады?",
    "ask_travellers": "Кім барады? Таңдаңыз немесе жазыңыз.",
    "not_understood": "Жауапты түсіне алмадым.",
    "offers_header": "Қазір бар нұсқалар: {summary}. Баға барлығына, ұшу мен тұруды қоса алғанда:",
    "offer_line": "{hotel} {stars}, {resort}\n{checkin}, {nights}, {meal} — {price}",
    "over_budget": "Айтылған бюджетке ештеңе табылмады — міне, ең арзан нұсқалар.",
    "assumed_age": "Бағалар {age} жастағы балаға есептелген — жасы басқа болса, жазыңыз.",
    "offers_footer": "Ұнаған нұсқаның астындағы «Брондау» батырмасын басыңыз немесе не өзгерту керегін жазыңыз.",
    "offers_prompt": "Нұсқаны «Брондау» батырмасымен таңдаңыз, «Басқа күндер» батырмасын басыңыз немесе "
                     "не өзгерту керегін жазыңыз.",
    "no_offers": "Бұл күндерге тур табылмады. Басқа күндерді таңдаңыз немесе менеджерге жазыңыз.",
    "samo_down": "Қазір туроператордың бағаларын жүктеу мүмкін емес. Сәл кейінірек қайталаңыз немесе "
                 "сұранысыңызды менеджерге беріңіз — ол турды өзі таңдап береді.",
    "offer_gone": "Бұл нұсқа енді жоқ: туроператордың бағалары мен орындары өзгеріп тұрады.",
    "price_changed": "Бұл нұсқаның бағасы туроператорда өзгерді, енді ол {price}.",
    "booked": "Рақмет! № {number} өтінім қабылданды:\n{offer}\n\n{agent_line}\n"
              "Баға мен орындар туроператорда брондау кезінде түпкілікті расталады.",
    "agent_line_named": "Менеджер {agent} орындардың бар-жоғын тексеріп, сапарды рәсімдеу үшін осында жазады.",
    "agent_line": "Менеджер орындардың бар-жоғын тексеріп, сапарды рәсімдеу үшін осында жазады.",
    "already_booked": "№ {number} өтінім қабылданған, менеджер жақында осында жазады.",
    "handed_over_named": "Сұранысыңызды менеджерге ({agent}) бердім. Ол осында жауап береді. "
                         "Турды қайта таңдау үшін /start жіберіңіз.",
    "handed_over": "Сұранысыңызды менеджерге бердім. Ол осында жауап береді. "
                   "Турды қайта таңдау үшін /start жіберіңіз.",
    "with_agent": "Сізбен менеджер жұмыс істеп жатыр. Турды қайта таңдау үшін /start жіберіңіз.",
    "button_book": "{number} брондау",
    "button_other_dates": "Басқа күндер",
    "button_agent": "Менеджермен сөйлесу",
    "button_retry": "Қайта көру",
    "all_country": "Бүкіл Вьетнам",
    "summary_departure": "{city} қаласынан ұшу",
    "nights": ("түн", "түн", "түн"),
    "adults": ("ересек", "ересек", "ересек"),
    "children": ("бала", "бала", "бала"),
    "months": ("Қаңтар", "Ақпан", "Наурыз", "Сәуір", "Мамыр", "Маусым", "Шілде", "Тамыз", "Қыркүйек", "Қазан",
               "Қараша", "Желтоқсан"),
    "places": {"Vietnam": "Вьетнам", "Nha Trang": "Нячанг", "Phu Quoc": "Фукуок", "Da Nang": "Дананг",
               "Phan Thiet": "Фантьет", "Cam Ranh": "Камрань"},
    "departures": {"Almaty": "Алматы", "Astana": "Астана"},
    "meals": {"RO": "тамақсыз", "BB": "таңғы ас", "HB": "жартылай пансион", "FB": "толық пансион",
              "AI": "бәрі қосылған", "UAI": "ультра бәрі қосылған"},
}

EN = {
    "choose_language": "Hello! I can help you find a tour to Vietnam from Almaty or Astana. "
                       "Please choose a language:",
    "ask_destination": "Where would you like to go? Choose a resort or write in your own words, for example: "
                       "“Nha Trang in March for 10 nights, two of us”.",
    "ask_dates": "When would you like to fly? Choose a month or write the dates, for example: “10 to 20 March”.",
    "ask_nights": "How many nights?",
    "ask_travellers": "Who is travelling? Choose or write, for example: “2 adults and a child of 5”.",
    "not_understood": "I could not make out the answer.",
    "offers_header": "Here is what there is now: {summary}. Prices for everyone, flights and hotel included:",
    "offer_line": "{hotel} {stars}, {resort}\n{checkin}, {nights}, {meal} — {price}",
    "over_budget": "Nothing fits the budget you gave — these are the least expensive options.",
    "assumed_age": "Prices are for a child of {age} — if the age is different, write it, for example: “a child of 5”.",
    "offers_footer": "Press “Book” under the option you like, or write what to change.",
    "offers_prompt": "Choose an option with its “Book” button, press “Other dates”, or write what to change, "
                     "for example: “14 nights”.",
    "no_offers": "There are no tours for these dates. Try other dates or write to an agent.",
    "samo_down": "I cannot load the tour operator's prices right now. Please try again a little later, or pass "
                 "your request to an agent, who will find a tour by hand.",
    "offer_gone": "That option is no longer there: the operator's prices and rooms change.",
    "price_changed": "The operator has changed the price of this option: it is now {price}.",
    "booked": "Thank you! Request No. {number} is received:\n{offer}\n\n{agent_line}\n"
              "The price and rooms are confirmed when the operator books them.",
    "agent_line_named": "{agent}, your agent, will check availability and write to you here to arrange the trip.",
    "agent_line": "An agent will check availability and write to you here to arrange the trip.",
    "already_booked": "Request No. {number} is already received; an agent will write to you here soon.",
    "handed_over_named": "I have passed your request to {agent}, your agent, who will answer here. "
                         "To search for a tour again, send /start.",
    "handed_over": "I have passed your request to an agent, who will answer here. "
                   "To search for a tour again, send /start.",
    "with_agent": "An agent is already looking after you. To search for a tour again, send /start.",
    "button_book": "Book {number}",
    "button_other_dates": "Other dates",
    "button_agent": "Talk to an agent",
    "button_retry": "Try again",
    "all_country": "All of Vietnam",
    "summary_departure": "flying from {city}",
    "nights": ("night", "nights", "nights"),
    "adults": ("adult", "adults", "adults"),
    "children": ("child", "children", "children"),
    "months": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"),
    "places": {"Vietnam": "Vietnam", "Nha Trang": "Nha Trang", "Phu Quoc": "Phu Quoc", "Da Nang": "Da Nang",
               "Phan Thiet": "Phan Thiet", "Cam Ranh": "Cam Ranh"},
    "departures": {"Almaty": "Almaty", "Astana": "Astana"},
    "meals": {"RO": "room only", "BB": "breakfast", "HB": "half board", "FB": "full board", "AI": "all inclusive",
              "UAI": "ultra all inclusive"},
}

TEXTS = {"ru": RU, "kk": KK, "en": EN}


def plural(language: str, count: int, forms: tuple[str, str, str]) -> str:
    """``count`` with its word: Russian's one / few / many forms, English's one / other."""
    if language == "ru":
        tens, units = count % 100, count % 10
        form = forms[2] if 11 <= tens <= 14 else forms[0] if units == 1 else forms[1] if 2 <= units <= 4 else forms[2]
    else:
        form = forms[0] if count == 1 else forms[1]
    return f"{count} {form}"
