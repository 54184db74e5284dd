//! A traditional → simplified copy of names and addresses, for matching only.
//!
//! Names are stored exactly as given (the canonical record keeps 陳嘉欣 as 陳嘉欣); a region that
//! searches its own records needs 陈嘉欣 too. This is a deliberately small table — the characters
//! that occur in 港澳台 residents' names and addresses in our fixtures and the commonest surnames —
//! not a full OpenCC conversion: a character missing here is left as it is, so the copy may still
//! hold traditional characters. One-to-many cases (發/髮 → 发, 後/后) only go one way, which is all
//! matching needs.

/// (traditional, simplified) pairs, sorted by the traditional character for binary search.
const PAIRS: &str = "\
萬万與与東东絲丝兩两嚴严個个豐丰臨临為为麗丽舉举義义樂乐習习鄉乡書书買买亂乱\
爭争於于虧亏雲云亞亚產产畝亩親亲億亿僅仅從从侖仑倉仓儀仪們们價价眾众優优會会傳传\
傷伤倫伦偉伟側侧偵侦僑侨儂侬俠侠兒儿黨党蘭兰關关興兴養养獸兽內内岡冈冊册寫写軍军\
農农馮冯劉刘則则剛刚創创劃划劍剑勞劳勢势勳勋區区醫医華华協协單单賣卖盧卢衛卫廠厂\
廳厅歷历厲厉壓压參参雙双發发變变敘叙葉叶號号嘆叹嚇吓呂吕嗎吗圍围國国圖图圓圆聖圣\
場场壞坏塊块堅坚壇坛壩坝墳坟墜坠壯壮聲声壺壶處处備备複复夠够頭头夾夹奪夺奮奋妝妆\
婦妇媽妈嬌娇孫孙學学寧宁寶宝實实寵宠審审憲宪宮宫寬宽賓宾對对導导壽寿將将爾尔塵尘\
嘗尝層层屬属歲岁島岛峽峡嶺岭幣币帥帅師师帳帐帶带幫帮幹干廣广莊庄慶庆廬庐庫库應应\
廟庙張张強强歸归當当錄录彥彦徹彻徑径後后徵征憶忆憂忧懷怀態态憐怜總总戀恋惡恶愛爱\
慣惯戰战戲戏戶户撲扑執执擴扩掃扫揚扬擾扰撫抚搶抢護护報报擔担擬拟擁拥擇择掛挂揮挥\
損损換换據据攜携搖摇數数斷断無无舊旧時时曠旷曉晓暫暂術术機机殺杀雜杂權权條条來来\
楊杨極极構构槍枪標标樹树橋桥檢检樓楼歡欢歐欧殘残毀毁氣气漢汉湯汤溝沟滬沪淚泪潔洁\
灑洒濃浓濟济濤涛漁渔淵渊滿满澤泽濱滨灣湾燈灯靈灵爐炉點点煉炼爛烂熱热愛爱爺爷牆墙\
獨独獅狮環环現现瑪玛畫画暢畅疊叠療疗瘋疯盤盘盡尽監监盧卢眾众睜睁礦矿碼码確确禮礼\
禪禅種种積积稱称穩稳窮穷競竞筆笔築筑簡简糧粮紀纪約约紅红級级純纯紙纸納纳線线組组\
細细終终經经綠绿維维網网緣缘編编練练縣县總总績绩繼继續续羅罗聯联職职腦脑膽胆臉脸\
興兴舉举艦舰藝艺節节葉叶蘇苏藥药蕭萧蘆芦處处虛虚蟲虫補补裝装見见規规視视覺觉覽览\
計计認认讓让訊讯記记許许論论設设訪访證证評评識识詩诗話话該该詳详語语說说誠诚課课\
調调談谈請请諸诸謝谢譯译議议護护讀读貝贝負负財财貢贡貨货質质購购貴贵費费賀贺資资\
賢贤贊赞趙赵趕赶車车軟软較较輕轻載载輝辉輸输轉转辦办辭辞邊边遼辽達达遷迁過过運运\
還还進进遠远連连遲迟適适選选遺遗鄧邓鄭郑鄰邻醜丑釋释鐘钟鋼钢錢钱鐵铁銀银鑫鑫長长\
門门開开間间閣阁關关陳陈陽阳陰阴陸陆隊队階阶隨随險险雞鸡離离難难雲云電电靜静韓韩\
頁页順顺預预領领題题顏颜願愿類类顧顾風风飛飞飯饭館馆馬马駐驻驗验騰腾髮发鬥斗魚鱼\
魯鲁鮮鲜鳳凤鳴鸣鴻鸿鵬鹏鹽盐麥麦黃黄齊齐齒齿龍龙龜龟彌弥敦敦灣湾臺台誌志澳澳門门";

fn table() -> &'static [(char, char)] {
    use std::sync::OnceLock;
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let chars: Vec<char> = PAIRS.chars().collect();
        let mut pairs: Vec<(char, char)> = chars
            .chunks_exact(2)
            .map(|p| (p[0], p[1]))
            .filter(|(t, s)| t != s)
            .collect();
        pairs.sort_unstable();
        pairs.dedup_by_key(|p| p.0);
        pairs
    })
}

/// The simplified copy of `s` for matching (characters not in the table are kept).
pub fn simplified(s: &str) -> String {
    let t = table();
    s.chars()
        .map(|c| match t.binary_search_by_key(&c, |p| p.0) {
            Ok(i) => t[i].1,
            Err(_) => c,
        })
        .collect()
}

/// The table's characters in the Basic Multilingual Plane as a bitmap (8 KiB), so asking about a
/// character — every character of every `match` field of every form — is one bit test rather than
/// a binary search.
fn bmp_bits() -> &'static [u64] {
    use std::sync::OnceLock;
    static BITS: OnceLock<Vec<u64>> = OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = vec![0u64; 0x10000 / 64];
        for (t, _) in table() {
            let c = *t as usize;
            if c < 0x10000 {
                bits[c / 64] |= 1 << (c % 64);
            }
        }
        bits
    })
}

/// Whether `s` holds any character the table would change.
pub fn has_traditional(s: &str) -> bool {
    if s.is_ascii() {
        return false;
    }
    let bits = bmp_bits();
    s.chars().any(|c| {
        let i = c as usize;
        match bits.get(i / 64) {
            Some(word) => word & (1 << (i % 64)) != 0,
            None => table().binary_search_by_key(&c, |p| p.0).is_ok(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_names_and_addresses() {
        assert_eq!(simplified("陳嘉欣"), "陈嘉欣");
        assert_eq!(simplified("黃志強"), "黄志强");
        assert_eq!(
            simplified("九龍彌敦道 188 號 12 樓"),
            "九龙弥敦道 188 号 12 楼"
        );
        assert_eq!(simplified("臺灣"), "台湾");
        assert_eq!(simplified("李子𬌗"), "李子𬌗");
        assert!(has_traditional("劉德華"));
        assert!(!has_traditional("刘德华"));
    }

    #[test]
    fn table_is_well_formed() {
        assert_eq!(PAIRS.chars().count() % 2, 0);
        assert!(table().len() > 300);
    }

    #[test]
    fn bitmap_agrees_with_the_table() {
        for c in (0..0x11000).filter_map(char::from_u32) {
            let listed = table().binary_search_by_key(&c, |p| p.0).is_ok();
            assert_eq!(has_traditional(&c.to_string()), listed, "{c:?}");
        }
    }
}
