"""Generate the full-text fixtures of the development set (tests/data/deliberations/).

Run: .venv/bin/python tests/data/deliberations/make_fixtures.py

Writes textes/*.txt (20+ deliberations written in the style of French council deliberations; the exposés are
hand-written here, the legal boilerplate is shared), textes.csv (their labels), scdl-sample.csv (an SCDL
« Délibérations » CSV with valid rows and rows that break the schema's rules), sample.pdf (a one-page PDF with a
text layer, written by the minimal PDF writer below: no dependency) and sample.docx (python-docx).
The outputs are committed; the script documents how they were made and regenerates them identically.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent

HEADER = """COMMUNAUTÉ D'AGGLOMÉRATION DE LA PORTE DU HAINAUT
Site minier d'Arenberg - Wallers-Arenberg

EXTRAIT DU REGISTRE DES DÉLIBÉRATIONS DU CONSEIL COMMUNAUTAIRE
Séance du {date_fr}

Délibération n° {num}
Matière : {matiere}

Objet : {objet}

Le Conseil communautaire, régulièrement convoqué, s'est réuni au siège de la Communauté sous la présidence de son Président.
Membres en exercice : 83 - Présents : {presents} - Votants : {votants}

Vu le Code général des collectivités territoriales, et notamment ses articles L.5211-1 et suivants et L.5216-5 ;
Vu les statuts de la Communauté d'Agglomération de La Porte du Hainaut ;
Vu le Projet de Territoire 2024-2044 adopté le 16 octobre 2023 ;
{vus}
Entendu l'exposé du rapporteur,

"""

FOOTER = """
Après en avoir délibéré, le Conseil communautaire, {vote},

DÉCIDE :

{decide}

Article final : Le Président est chargé de l'exécution de la présente délibération, qui sera transmise au représentant de l'État et publiée.

Fait et délibéré les jour, mois et an susdits.
Pour extrait conforme,
Le Président
"""

TEXTS = [
    dict(id="t01", date_fr="12 février 2024", num="2024-012", matiere="8.7 - Transports", engagements="2", champs="2-4",
         rationale="Aménagement cyclable : mobilités douces et actives",
         objet="Aménagement d'une liaison cyclable entre Denain et Haulchin - plan de financement",
         vus="Vu le schéma directeur cyclable communautaire approuvé le 3 juillet 2023 ;",
         expose="""Considérant que la part de la voiture individuelle dans les déplacements domicile-travail dépasse 80 % sur le territoire et que les habitants de Haulchin ne disposent d'aucun itinéraire sécurisé pour rejoindre à vélo la gare et les équipements de Denain ;
Considérant que le schéma directeur cyclable identifie cette liaison de 4,2 kilomètres comme prioritaire ;
Considérant que le coût des travaux est estimé à 1 260 000 € HT et qu'il peut être soutenu par l'État au titre du fonds mobilités actives et par la Région Hauts-de-France ;""",
         decide="""Article 1 : approuve le projet d'aménagement d'une piste cyclable bidirectionnelle entre Denain et Haulchin ;
Article 2 : approuve le plan de financement prévisionnel : État (fonds mobilités actives) 378 000 €, Région 252 000 €, Communauté 630 000 € ;
Article 3 : autorise le Président à solliciter les subventions correspondantes."""),
    dict(id="t02", date_fr="12 février 2024", num="2024-015", matiere="5.2 - Fonctionnement des assemblées", engagements="none", champs="",
         rationale="Composition des commissions : fonctionnement de l'assemblée",
         objet="Composition des commissions thématiques - modification",
         vus="Vu l'article L.2121-22 du Code général des collectivités territoriales ;\nVu la délibération du 15 juillet 2020 portant création des commissions thématiques ;",
         expose="""Considérant la démission de Madame Sophie Lambert de son mandat de conseillère communautaire et l'installation de son successeur lors de la présente séance ;
Considérant qu'il convient de pourvoir à son remplacement au sein de la commission « Finances et administration générale » et de la commission d'appel d'offres ;""",
         decide="""Article 1 : désigne Monsieur Patrick Delattre membre de la commission « Finances et administration générale » ;
Article 2 : prend acte de la nouvelle composition des commissions thématiques annexée à la présente délibération."""),
    dict(id="t03", date_fr="25 mars 2024", num="2024-041", matiere="8.5 - Politique de la ville-habitat-logement", engagements="1", champs="1-2",
         rationale="Programme d'amélioration de l'habitat privé",
         objet="Opération programmée d'amélioration de l'habitat de renouvellement urbain - lancement",
         vus="Vu le Programme Local de l'Habitat ;\nVu le Code de la construction et de l'habitation ;",
         expose="""Considérant qu'une étude pré-opérationnelle a recensé dans les centres anciens d'Escaudain, de Lourches et de Denain plus de 900 logements privés dégradés, dont 260 logements vacants depuis plus de deux ans ;
Considérant que l'Agence nationale de l'habitat (Anah) accompagne les propriétaires occupants et bailleurs dans la réhabilitation de leurs logements et la lutte contre l'habitat indigne ;
Considérant que la Communauté souhaite améliorer les conditions de vie des habitants et remettre sur le marché des logements vacants ;""",
         decide="""Article 1 : approuve le lancement d'une OPAH de renouvellement urbain pour une durée de cinq ans ;
Article 2 : approuve la convention d'opération avec l'État et l'Anah, pour un montant d'aides aux travaux de 4 500 000 € ;
Article 3 : autorise le Président à signer la convention et tout document s'y rapportant."""),
    dict(id="t04", date_fr="25 mars 2024", num="2024-044", matiere="7.1 - Décisions budgétaires", engagements="none", champs="",
         rationale="Budget primitif",
         objet="Budget primitif 2024 - budget principal et budgets annexes",
         vus="Vu l'instruction budgétaire et comptable M57 ;\nVu le débat d'orientation budgétaire du 12 février 2024 ;",
         expose="""Considérant le projet de budget primitif présenté par chapitres, qui s'équilibre en dépenses et en recettes à 186 450 000 € en section de fonctionnement et à 74 320 000 € en section d'investissement ;
Considérant les budgets annexes des zones d'activités, de l'assainissement et des transports ;
Considérant l'avis de la commission des finances du 14 mars 2024 ;""",
         decide="""Article 1 : adopte le budget primitif 2024 du budget principal, voté par nature et au niveau du chapitre ;
Article 2 : adopte les budgets annexes 2024 ;
Article 3 : approuve la reprise anticipée des résultats de l'exercice 2023."""),
    dict(id="t05", date_fr="25 mars 2024", num="2024-052", matiere="7.5 - Subventions", engagements="1", champs="1-4",
         rationale="Santé : Contrat Local de Santé et maison de santé",
         objet="Contrat Local de Santé - fonds de concours pour la maison de santé pluriprofessionnelle de Lourches",
         vus="Vu le Contrat Local de Santé signé avec l'Agence Régionale de Santé ;\nVu l'article L.5216-5 VI du Code général des collectivités territoriales relatif aux fonds de concours ;",
         expose="""Considérant que l'espérance de vie sur le territoire est inférieure de trois à quatre ans à la moyenne nationale et que plusieurs communes ne comptent plus de médecin généraliste ;
Considérant que la commune de Lourches porte la construction d'une maison de santé pluriprofessionnelle réunissant médecins, infirmiers et kinésithérapeutes, pour un coût de 2 100 000 € HT ;
Considérant que ce projet répond aux objectifs d'accès aux soins du Contrat Local de Santé ;""",
         decide="""Article 1 : attribue à la commune de Lourches un fonds de concours de 300 000 € ;
Article 2 : autorise le Président à signer la convention de versement."""),
    dict(id="t06", date_fr="13 mai 2024", num="2024-078", matiere="8.8 - Environnement", engagements="2", champs="2-6",
         rationale="Déchets : prévention et biodéchets",
         objet="Mise en place du tri à la source des biodéchets - convention avec le SIAVED",
         vus="Vu la loi relative à la lutte contre le gaspillage et à l'économie circulaire ;\nVu le Code de l'environnement ;",
         expose="""Considérant l'obligation de tri à la source des biodéchets depuis le 1er janvier 2024 ;
Considérant que les déchets alimentaires représentent près d'un tiers des ordures ménagères résiduelles et que leur collecte séparée permet de réduire les quantités incinérées ;
Considérant que le SIAVED propose de distribuer des composteurs individuels et d'installer des points d'apport volontaire dans l'habitat collectif ;""",
         decide="""Article 1 : approuve la convention avec le SIAVED pour le déploiement du tri à la source des biodéchets ;
Article 2 : fixe la participation de la Communauté à 420 000 € sur trois ans."""),
    dict(id="t07", date_fr="13 mai 2024", num="2024-081", matiere="4.1 - Personnels titulaires et stagiaires de la F.P.T.", engagements="none", champs="",
         rationale="Tableau des effectifs",
         objet="Modification du tableau des effectifs",
         vus="Vu le Code général de la fonction publique ;\nVu l'avis du comité social territorial du 30 avril 2024 ;",
         expose="""Considérant les avancements de grade de l'année 2024 et les départs en retraite ;
Considérant la nécessité de créer deux emplois permanents d'adjoint technique à temps complet au service des bâtiments et de supprimer un emploi de rédacteur ;""",
         decide="""Article 1 : crée deux postes d'adjoint technique territorial à temps complet ;
Article 2 : supprime un poste de rédacteur territorial ;
Article 3 : approuve le tableau des effectifs mis à jour et inscrit les crédits au budget."""),
    dict(id="t08", date_fr="13 mai 2024", num="2024-090", matiere="8.9 - Culture", engagements="1", champs="1-5",
         rationale="Lecture publique",
         objet="Plan de développement de la lecture publique - réseau des médiathèques",
         vus="Vu le Code du patrimoine ;",
         expose="""Considérant que vingt-trois communes disposent d'une bibliothèque ou d'une médiathèque, souvent animée par des bénévoles, et que les horaires d'ouverture restent limités ;
Considérant la volonté de rendre la culture accessible à tous les habitants par une carte unique d'emprunt, une navette documentaire et des animations autour du livre dans les communes rurales ;
Considérant le soutien de la Direction régionale des affaires culturelles dans le cadre d'un contrat territoire-lecture ;""",
         decide="""Article 1 : approuve le plan de développement de la lecture publique 2024-2027 ;
Article 2 : approuve le contrat territoire-lecture avec l'État ;
Article 3 : sollicite une subvention de 120 000 € auprès de la Direction régionale des affaires culturelles."""),
    dict(id="t09", date_fr="24 juin 2024", num="2024-104", matiere="7.4 - Interventions économiques", engagements="2", champs="2-2",
         rationale="Implantation d'entreprise en zone d'activités",
         objet="Zone d'activités de l'Aérodrome à Trith-Saint-Léger - cession de terrain à la société Hainaut Recyclage",
         vus="Vu l'avis du service du Domaine du 2 mai 2024 ;",
         expose="""Considérant que la société Hainaut Recyclage, spécialisée dans le réemploi et le recyclage des matériaux du bâtiment, souhaite implanter une unité de production créant 45 emplois ;
Considérant que la parcelle cadastrée section AB n° 214, d'une surface de 2,3 hectares, est disponible sur la zone d'activités ;
Considérant que ce projet contribue au développement de l'économie circulaire et à l'emploi local ;""",
         decide="""Article 1 : approuve la cession de la parcelle à la société Hainaut Recyclage au prix de 25 € HT le mètre carré, soit 575 000 € HT ;
Article 2 : autorise le Président à signer l'acte authentique."""),
    dict(id="t10", date_fr="24 juin 2024", num="2024-109", matiere="8.8 - Environnement", engagements="3", champs="3-2",
         rationale="Forêt et biodiversité",
         objet="Forêt citoyenne : programme de plantation « 1 naissance, 1 arbre » 2024-2025",
         vus="Vu le Projet de Territoire, engagement « Accompagner les conversions et la résilience » ;",
         expose="""Considérant que la couverture forestière du territoire reste inférieure à la moyenne régionale et que les boisements jouent un rôle essentiel pour la biodiversité, la qualité de l'air et la fraîcheur en été ;
Considérant que la démarche « 1 naissance, 1 arbre » propose de planter un arbre pour chaque enfant né dans l'année, avec les familles et les écoles ;
Considérant le partenariat proposé par le Parc naturel régional Scarpe-Escaut et l'Office national des forêts ;""",
         decide="""Article 1 : approuve le programme de plantation de 2 800 arbres et de 3 kilomètres de haies ;
Article 2 : approuve la convention de partenariat avec le Parc naturel régional Scarpe-Escaut."""),
    dict(id="t11", date_fr="24 juin 2024", num="2024-112", matiere="5.3 - Désignation de représentants", engagements="none", champs="",
         rationale="Désignation de représentants",
         objet="Désignation des représentants de la Communauté au conseil d'administration de la Mission Locale",
         vus="Vu les statuts de l'association Mission Locale du Valenciennois ;",
         expose="""Considérant que la Communauté dispose de quatre sièges au conseil d'administration de l'association ;
Considérant les candidatures déposées en séance et le vote à main levée accepté à l'unanimité ;""",
         decide="""Article 1 : désigne Madame Claire Dubois, Monsieur Alain Moreau, Madame Nadia Benali et Monsieur Hervé Lefebvre pour représenter la Communauté."""),
    dict(id="t12", date_fr="30 septembre 2024", num="2024-140", matiere="8.1 - Enseignement", engagements="1", champs="1-3",
         rationale="Petite enfance et périscolaire",
         objet="Convention territoriale globale avec la Caisse d'Allocations Familiales du Nord - volet petite enfance et jeunesse",
         vus="Vu la délibération du 7 décembre 2022 relative à la stratégie jeunesse ;",
         expose="""Considérant que la convention territoriale globale fixe, pour la période 2024-2028, les objectifs partagés en matière de petite enfance, d'accueil périscolaire, de jeunesse et de parentalité ;
Considérant la création prévue de 60 places en multi-accueil et le développement des accueils de loisirs le mercredi ;
Considérant la mise en œuvre de la stratégie jeunesse 15/25 ans ;""",
         decide="""Article 1 : approuve la convention territoriale globale avec la CAF du Nord ;
Article 2 : autorise le Président à la signer ainsi que les conventions d'objectifs et de financement afférentes."""),
    dict(id="t13", date_fr="30 septembre 2024", num="2024-146", matiere="8.8 - Environnement", engagements="2", champs="2-3",
         rationale="Énergie renouvelable",
         objet="Installation d'ombrières photovoltaïques sur le parking du siège communautaire",
         vus="Vu le Plan Climat Air Énergie Territorial ;",
         expose="""Considérant l'objectif du Projet de Territoire d'atteindre 50 % d'autonomie énergétique et de développer un mix énergétique ;
Considérant que les ombrières produiront environ 480 MWh par an, dont une partie sera autoconsommée par les bâtiments communautaires ;
Considérant que le coût de l'opération s'élève à 890 000 € HT, susceptible d'être financé par le fonds chaleur et la DSIL ;""",
         decide="""Article 1 : approuve le projet d'ombrières photovoltaïques ;
Article 2 : autorise le Président à solliciter les subventions et à lancer la consultation des entreprises."""),
    dict(id="t14", date_fr="30 septembre 2024", num="2024-150", matiere="3.1 - Acquisitions", engagements="3", champs="3-5",
         rationale="Station thermale : rayonnement et attractivité",
         objet="Station thermale de Saint-Amand-les-Eaux - acquisition d'emprises pour le projet de station",
         vus="Vu le contrat de station signé avec la Région Hauts-de-France et la Ville de Saint-Amand-les-Eaux ;",
         expose="""Considérant que le développement de la station thermale constitue un projet emblématique du Projet de Territoire, au service du rayonnement du territoire et du tourisme de santé ;
Considérant que l'aménagement des abords des thermes et la création d'hébergements touristiques nécessitent la maîtrise de parcelles situées en forêt domaniale ;
Considérant l'avis du service du Domaine ;""",
         decide="""Article 1 : approuve l'acquisition des parcelles pour un montant de 1 150 000 € ;
Article 2 : autorise le Président à signer les actes."""),
    dict(id="t15", date_fr="18 novembre 2024", num="2024-171", matiere="8.5 - Politique de la ville-habitat-logement", engagements="1", champs="1-4",
         rationale="Politique de la ville : Contrat Quartiers 2030",
         objet="Contrat Quartiers 2030 - programmation 2025 et fonds de participation des habitants",
         vus="Vu la loi de programmation pour la ville et la cohésion urbaine du 21 février 2014 ;\nVu le Contrat Quartiers 2030 validé par les partenaires le 21 mars 2024 ;",
         expose="""Considérant que treize quartiers prioritaires de la politique de la ville regroupent plus de 32 000 habitants du territoire, dont le quartier Chasse Royale - La Sentinelle et le quartier Arenberg ;
Considérant l'appel à projets 2025, qui a permis de retenir 74 actions portées par les associations et les communes en matière d'insertion, d'accès aux droits, de santé et de lien social ;
Considérant la reconduction du fonds de participation des habitants géré par les conseils citoyens ;""",
         decide="""Article 1 : approuve la programmation 2025 du Contrat Quartiers 2030 pour un montant de 1 850 000 € ;
Article 2 : approuve la reconduction du fonds de participation des habitants."""),
    dict(id="t16", date_fr="18 novembre 2024", num="2024-175", matiere="8.8 - Environnement", engagements="3", champs="3-1",
         rationale="Prévention des risques : plan intercommunal de sauvegarde",
         objet="Plan intercommunal de sauvegarde - approbation",
         vus="Vu la loi du 25 novembre 2021 visant à consolider notre modèle de sécurité civile ;\nVu le Code de la sécurité intérieure, et notamment son article L.731-4 ;",
         expose="""Considérant que le territoire est exposé aux risques d'inondation, d'affaissements miniers, aux risques technologiques et aux vagues de chaleur ;
Considérant que le plan intercommunal de sauvegarde organise la mutualisation des moyens entre les communes, l'alerte des populations et l'activation d'une cellule de crise intercommunale ;
Considérant que les plans communaux de sauvegarde des 47 communes ont été recensés et mis à jour ;""",
         decide="""Article 1 : approuve le plan intercommunal de sauvegarde ;
Article 2 : autorise le Président à l'arrêter et à le transmettre au représentant de l'État."""),
    dict(id="t17", date_fr="18 novembre 2024", num="2024-180", matiere="8.6 - Emploi-formation professionnelle", engagements="3;1", champs="3-3;1-4",
         rationale="Formation aux métiers en tension et insertion",
         objet="Pôle de référence du rail - création d'un plateau technique de formation aux métiers ferroviaires",
         vus="Vu le Projet de Territoire 2024-2044 et ses projets emblématiques ;",
         expose="""Considérant que les entreprises de la filière ferroviaire du Valenciennois peinent à recruter des soudeurs et des câbleurs ferroviaires, métiers en tension ;
Considérant qu'un plateau technique mutualisé permettra de former chaque année 120 demandeurs d'emploi et jeunes en apprentissage, en lien avec France Travail et la Région ;
Considérant que le coût d'équipement est estimé à 1 800 000 € HT ;""",
         decide="""Article 1 : approuve la création du plateau technique de formation ;
Article 2 : sollicite le soutien de la Région Hauts-de-France et de l'État."""),
    dict(id="t18", date_fr="16 décembre 2024", num="2024-201", matiere="7.1 - Décisions budgétaires", engagements="none", champs="",
         rationale="Décision modificative",
         objet="Décision modificative n° 3 au budget principal",
         vus="Vu le budget primitif 2024 ;",
         expose="""Considérant la nécessité d'ajuster les crédits ouverts au chapitre 012 et au chapitre 65, et d'inscrire les écritures d'amortissement et les provisions pour créances douteuses ;""",
         decide="""Article 1 : adopte la décision modificative n° 3 au budget principal, équilibrée à 1 245 000 € en fonctionnement et à 310 000 € en investissement."""),
    dict(id="t19", date_fr="16 décembre 2024", num="2024-206", matiere="7.5 - Subventions", engagements="2", champs="2-7",
         rationale="Alimentation : restauration collective et circuits courts",
         objet="Projet Alimentaire Territorial - réseau des cuisines et restaurations collectives",
         vus="Vu la loi du 30 octobre 2018 dite loi EGalim ;",
         expose="""Considérant que la restauration scolaire et collective du territoire sert chaque jour près de 9 000 repas ;
Considérant l'objectif de 70 % de produits issus de la production locale et l'extension du label « Ici je mange local » ;
Considérant que la création d'une légumerie permettra aux maraîchers du territoire d'approvisionner les cantines en circuits courts ;""",
         decide="""Article 1 : approuve le programme d'actions 2025 du Projet Alimentaire Territorial ;
Article 2 : attribue une subvention de 85 000 € à la coopérative de producteurs pour l'équipement de la légumerie."""),
    dict(id="t20", date_fr="16 décembre 2024", num="2024-210", matiere="7.5 - Subventions", engagements="3", champs="3-4",
         rationale="Initiatives citoyennes et solidaires",
         objet="Appel à projets « Initiatives citoyennes » - repair cafés et outilthèques",
         vus="Vu le règlement de l'appel à projets adopté le 24 juin 2024 ;",
         expose="""Considérant la volonté de soutenir l'émancipation citoyenne et les initiatives solidaires des habitants ;
Considérant que le jury a retenu onze projets portés par des associations et des collectifs d'habitants : six repair cafés, trois outilthèques et deux ateliers de réparation de vélos ;
Considérant que ces initiatives favorisent le réemploi, le lien social et la participation des habitants ;""",
         decide="""Article 1 : attribue les subventions aux onze lauréats pour un montant total de 44 000 € selon le tableau annexé."""),
    dict(id="t21", date_fr="16 décembre 2024", num="2024-214", matiere="7.5 - Subventions", engagements="none", champs="",
         rationale="Motion sans action",
         objet="Motion relative à la réforme du financement des collectivités",
         vus="",
         expose="""Considérant les annonces gouvernementales relatives à la contribution des collectivités au redressement des finances publiques ;
Considérant les effets attendus sur la capacité d'investissement des communes et de la Communauté ;""",
         decide="""Article unique : adopte la motion annexée et la transmet aux parlementaires du département."""),
]

PDF_TEXT = """COMMUNAUTE D'AGGLOMERATION DE LA PORTE DU HAINAUT
Seance du 10 fevrier 2025
Deliberation n 2025-007
Objet : Schema directeur cyclable - amenagement de pistes cyclables a Raismes
Le Conseil communautaire,
Vu le Code general des collectivites territoriales ;
Considerant la volonte de developper les mobilites douces et la cyclabilite du territoire ;
Considerant le projet de piste cyclable reliant Raismes a Saint-Amand-les-Eaux pour 640 000 euros ;
DECIDE : approuve le projet et sollicite l'Etat et la Region."""

DOCX_PARAS = [
    "COMMUNAUTÉ D'AGGLOMÉRATION DE LA PORTE DU HAINAUT",
    "Séance du 10 février 2025",
    "Délibération n° 2025-009",
    "Matière : 8.9 - Culture",
    "Objet : Saison culturelle 2025 - programmation de spectacles dans les communes rurales",
    "Le Conseil communautaire,",
    "Vu le Code général des collectivités territoriales ;",
    "Considérant la volonté de rendre la culture accessible à tous et de diffuser le spectacle vivant au plus près des habitants ;",
    "Considérant la programmation de 24 spectacles et de résidences d'artistes à Maulde, Bousignies et Rumegies ;",
    "DÉCIDE : approuve la saison culturelle 2025 pour un montant de 160 000 €.",
]

SCDL_HEADER = ["COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM", "DELIB_OBJET",
               "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR",
               "VOTE_CONTRE", "VOTE_ABSTENTION", "DELIB_URL"]
CAPH = ("Communauté d'Agglomération de La Porte du Hainaut", "20004219000019")
SCDL_ROWS = [
    [*CAPH, "2024-012", "2024-02-12", "8.7", "Transports", "Aménagement d'une liaison cyclable entre Denain et Haulchin", "", "", "059-200042190-20240212-2024012-DE", "2024-02-14", "83", "71", "71", "0", "0", "https://www.agglo-porteduhainaut.fr/deliberations/2024-012.pdf"],
    [*CAPH, "2024-015", "2024-02-12", "5.2", "Fonctionnement des assemblées", "Composition des commissions thématiques - modification", "", "", "", "", "83", "71", "70", "0", "1", ""],
    [*CAPH, "2024-044", "2024-03-25", "7.1", "Décisions budgétaires", "Budget primitif 2024 - budget principal", "2024", "Budget principal", "", "", "83", "74", "60", "10", "4", ""],
    [*CAPH, "2024-052", "2024-03-25", "7.5", "Subventions", "Fonds de concours à la commune de Lourches pour la maison de santé pluriprofessionnelle", "", "", "", "", "83", "74", "74", "0", "0", ""],
    [*CAPH, "2024-078", "2024-05-13", "8.8", "Environnement", "Mise en place du tri à la source des biodéchets avec le SIAVED", "", "", "", "", "83", "69", "69", "0", "0", ""],
    # line 7: bad date
    [*CAPH, "2024-079", "13/05/2024", "8.8", "Environnement", "Plan de gestion du patrimoine arboré", "", "", "", "", "", "", "", "", "", ""],
    [*CAPH, "2024-090", "2024-05-13", "8.9", "Culture", "Plan de développement de la lecture publique", "", "", "", "", "83", "69", "69", "0", "0", ""],
    # line 9: SIRET of 13 digits and empty object
    ["Commune de Denain", "2159017290001", "D-2024-33", "2024-04-02", "8.5", "Logement", "", "", "", "", "", "", "", "", "", "", ""],
    # line 10: votes do not add up
    [*CAPH, "2024-104", "2024-06-24", "7.4", "Interventions économiques", "Cession de terrain à la société Hainaut Recyclage sur la zone d'activités", "", "", "", "", "83", "70", "60", "20", "5", ""],
    ["Commune de Denain", "21590172900017", "D-2024-41", "2024-06-20", "8.4", "Aménagement du territoire", "Requalification de la friche Cail et création d'un parc urbain", "", "", "", "", "33", "29", "29", "0", "0", ""],
    # line 12: matière code not in the nomenclature
    [*CAPH, "2024-112", "2024-06-24", "X.3", "Désignation", "Désignation des représentants à la Mission Locale", "", "", "", "", "", "", "", "", "", ""],
    [*CAPH, "2024-146", "2024-09-30", "8.8", "Environnement", "Installation d'ombrières photovoltaïques sur le parking du siège communautaire", "", "", "", "", "83", "72", "72", "0", "0", ""],
]


def write_pdf(path: Path, text: str) -> None:
    """A minimal one-page PDF 1.4 with a Helvetica text layer (ASCII text), cross-reference table included."""
    lines = text.split("\n")
    ops = ["BT", "/F1 10 Tf", "14 TL", "50 790 Td"]
    for ln in lines:
        esc = ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({esc}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def main() -> None:
    textes = HERE / "textes"
    textes.mkdir(exist_ok=True)
    with open(HERE / "textes.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "file", "objet", "engagements", "champs", "rationale"])
        for t in TEXTS:
            presents, votants = 68, 71
            body = HEADER.format(date_fr=t["date_fr"], num=t["num"], matiere=t["matiere"], objet=t["objet"],
                                 presents=presents, votants=votants, vus=t["vus"])
            body += t["expose"] + "\n" + FOOTER.format(vote="à l'unanimité", decide=t["decide"])
            (textes / f"{t['id']}.txt").write_text(body, encoding="utf-8")
            w.writerow([t["id"], f"textes/{t['id']}.txt", t["objet"], t["engagements"], t["champs"], t["rationale"]])
    with open(HERE / "scdl-sample.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(SCDL_HEADER)
        w.writerows(SCDL_ROWS)
    write_pdf(HERE / "sample.pdf", PDF_TEXT)
    import docx

    d = docx.Document()
    for p in DOCX_PARAS:
        d.add_paragraph(p)
    d.core_properties.created = __import__("datetime").datetime(2025, 2, 10)
    d.save(str(HERE / "sample.docx"))


if __name__ == "__main__":
    main()
